import concurrent.futures
import time

URLS = {
    "https://example.com/a": 0.6,
    "https://example.com/b": 0.1,
    "https://example.com/c": 0.35,
}


def download(url):
    time.sleep(URLS[url])
    return f"{url} ({len(url)} bytes)"


with concurrent.futures.ThreadPoolExecutor(max_workers=3) as executor:
    future_to_url = {executor.submit(download, url): url for url in URLS}
    for future in concurrent.futures.as_completed(future_to_url):
        url = future_to_url[future]
        try:
            data = future.result()
        except Exception as exc:
            print(f"{url} generated an exception: {exc}")
        else:
            print(f"{url} page is {data}")
