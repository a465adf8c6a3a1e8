import threading
from contextlib import contextmanager

@contextmanager
def acquire_timeout(lock, timeout):
    result = lock.acquire(timeout=timeout)
    try:
        yield result
    finally:
        if result:
            lock.release()

lock = threading.Lock()
with acquire_timeout(lock, 0.5) as got:
    print("got", got)
    with acquire_timeout(lock, 0.1) as again:
        print("again", again)
print(lock.locked())

class ThreadSafeCounter:
    def __init__(self):
        self._value = 0
        self._lock = threading.Lock()
    def increment(self, n=1):
        with self._lock:
            self._value += n
    @property
    def value(self):
        with self._lock:
            return self._value
    def __repr__(self):
        return f"ThreadSafeCounter({self.value})"

c = ThreadSafeCounter()
threads = [threading.Thread(target=lambda: [c.increment() for _ in range(500)]) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
print(c, [c])
print(threading.active_count(), threading.enumerate()[0].name)
