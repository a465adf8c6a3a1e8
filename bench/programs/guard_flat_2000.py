# Cost flatness (callgrind guard): 200,000 locked increments split over 2000 threads.
# bench/guard.py compares the x86 instructions per VM instruction of this program and of its
# twin with the other thread count: the cost of an instruction must not grow with the number
# of threads.
import threading

counter = 0
lock = threading.Lock()

def increment():
    global counter
    for _ in range(100):
        with lock:
            counter += 1

threads = [threading.Thread(target=increment) for _ in range(2000)]
[t.start() for t in threads]
[t.join() for t in threads]
print(counter)   # always exactly 200,000
