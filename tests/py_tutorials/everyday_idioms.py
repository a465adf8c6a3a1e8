import threading, queue, time, random, logging, operator, string
from concurrent.futures import ThreadPoolExecutor, wait, FIRST_COMPLETED
from collections import namedtuple, Counter

logger = logging.getLogger(__name__)
print(logger.name)
q = queue.Queue()
try:
    q.get(timeout=0.1)
except queue.Empty:
    print("empty after timeout")
def f(a, b=2, *, c=3):
    return a + b + c
t = threading.Thread(target=f, args=(1,), kwargs={"c": 10})
t.start(); t.join()
Item = namedtuple("Item", "name price")
items = [Item("b", 3), Item("a", 5), Item("c", 1)]
print(sorted(items, key=operator.attrgetter("price")))
print(max(items, key=lambda i: i.price).name)
random.seed(1)
print(random.choices(["a", "b", "c"], weights=[5, 1, 1], k=6))
print("{:>8.2f}|{:<5}|{:^7}|".format(3.14159, "ab", "mid"))
counter = 0
def incr():
    global counter
    counter += 1
def outer():
    n = 0
    def inner():
        nonlocal n
        n += 1
    for _ in range(3): inner()
    return n
print(outer())
with ThreadPoolExecutor(2) as ex:
    fs = [ex.submit(time.sleep, d) for d in (0.2, 0.05)]
    done, pending = wait(fs, return_when=FIRST_COMPLETED)
    print(len(done), len(pending))
    print(list(ex.map(lambda x, y: x * y, [1, 2, 3], [4, 5, 6])))
print(string.ascii_uppercase[:5], string.digits)
data = {k: v for k, v in zip("abc", range(3))}
print(data, {v: k for k, v in data.items()})
print([f"{i}:{c}" for i, c in enumerate("xy", start=1)])
try:
    raise ValueError("x")
except (TypeError, ValueError) as e:
    print("caught", type(e).__name__)
finally:
    print("finally")
class Stack:
    def __init__(self):
        self._items = []
        self._lock = threading.Lock()
    def push(self, x):
        with self._lock:
            self._items.append(x)
    def __len__(self):
        return len(self._items)
    def __iter__(self):
        return iter(self._items)
s = Stack()
ths = [threading.Thread(target=s.push, args=(i,)) for i in range(5)]
[t.start() for t in ths]; [t.join() for t in ths]
print(len(s), sorted(s))
print(Counter(random.randint(1, 3) for _ in range(30)).most_common(1)[0][1] > 0)
lock = threading.Lock()
print(lock.acquire(), lock.locked()); lock.release()
b = threading.Barrier(2, timeout=1)
print(b.parties)
e = threading.Event()
print(e.wait(timeout=0.01))
print(threading.current_thread().ident == threading.get_ident())
print(f"{'done':*^12}")
print(int(True) + 1, 10 / 4, 10 // 4, 2 ** 0.5, 1e-3, 1_000_000, 0.1 + 0.2)
print(str(123).zfill(6), "a,b,,c".split(","), "  x ".strip(), "abc".title())
print(list(range(10))[2:8:2], "hello"[-3:], [1, 2, 3][::-1])
