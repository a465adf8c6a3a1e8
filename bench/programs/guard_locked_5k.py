# (b) The seed's locked counter (programs/counter_locked.toy) at 4 threads x 5,000 (callgrind guard).
import threading

counter = 0
lock = threading.Lock()

def increment():
    global counter
    for _ in range(5_000):
        with lock:              # only one thread executes this block at a time
            counter += 1

threads = [threading.Thread(target=increment) for _ in range(4)]
[t.start() for t in threads]
[t.join() for t in threads]
print(counter)   # always exactly 20,000
