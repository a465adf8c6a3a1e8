import threading

request = threading.local()
output = []
lock = threading.Lock()


def handle(user):
    request.user = user
    request.items = []
    for i in range(3):
        request.items.append(f"{request.user}-{i}")
    with lock:
        output.append((request.user, tuple(request.items)))


threads = [threading.Thread(target=handle, args=(u,)) for u in ("ann", "bob", "cy")]
for t in threads:
    t.start()
for t in threads:
    t.join()
for row in sorted(output):
    print(row)
print(hasattr(request, "user"))


class Connection(threading.local):
    created = 0

    def __init__(self):
        self.conn_id = threading.current_thread().name


conn = Connection()
seen = []


def use():
    with lock:
        seen.append(conn.conn_id)


ts = [threading.Thread(target=use, name=f"T{i}") for i in range(3)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(sorted(seen), conn.conn_id)
