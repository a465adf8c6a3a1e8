# (g) 100,000 threads alive at once, all waiting on one threading.Event, then released;
# each counts itself under a lock after the wait.
import threading

N = 100_000
go = threading.Event()
lock = threading.Lock()
done = 0

def waiter():
    global done
    go.wait()
    with lock:
        done += 1

threads = [threading.Thread(target=waiter) for _ in range(N)]
[t.start() for t in threads]
go.set()
[t.join() for t in threads]
print(done)   # exactly 100,000
