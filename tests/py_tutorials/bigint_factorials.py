import math
import threading

results = {}
lock = threading.Lock()


def compute(n):
    value = math.factorial(n)
    with lock:
        results[n] = value


threads = [threading.Thread(target=compute, args=(n,)) for n in (20, 25, 30, 50)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for n in sorted(results):
    print(f"{n}! = {results[n]}")
print(2 ** 100)
print(len(str(math.factorial(100))))
print(pow(3, 200, 10 ** 9 + 7))
print((2 ** 64).bit_length(), divmod(10 ** 30, 7))
print(hex(2 ** 70), bin(1023), oct(64))
print(f"{12345678901234567890:,}")
