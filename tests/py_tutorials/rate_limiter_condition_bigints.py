import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

class RateLimiter:
    def __init__(self, rate):
        self.rate = rate
        self.tokens = rate
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
    def acquire(self):
        with self.cond:
            while self.tokens == 0:
                self.cond.wait()
            self.tokens -= 1
    def release(self):
        with self.cond:
            self.tokens += 1
            self.cond.notify()

rl = RateLimiter(2)
log = []
def job(i):
    rl.acquire()
    try:
        time.sleep(0.1)
        return i ** 2
    finally:
        rl.release()
with ThreadPoolExecutor(max_workers=5) as ex:
    futures = {ex.submit(job, i): i for i in range(6)}
    out = sorted(f.result() for f in as_completed(futures))
print(out)
def countdown(n):
    while n > 0:
        yield n
        n -= 1
print(list(countdown(5)), *countdown(3))
big = 1
for i in range(1, 31):
    big *= i
print(big, big.bit_length(), str(big)[:5], f"{big:e}")
print(sum(i * i for i in range(10**5)))
print(divmod(2**100, 3**20), pow(2, 10**5, 97), abs(-2**70))
print(int("1" * 30) // 7, -(2**65) % 1000, (2**65) >> 3, 1 << 70)
print(round(2**70 / 3), float(2**70), 10**20 == 10.0**20, hash(2**64) == hash(2**64))
