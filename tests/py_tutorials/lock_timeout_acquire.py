import threading
import time

lock = threading.Lock()
events = []


def holder():
    with lock:
        events.append("holder has lock")
        time.sleep(0.5)
    events.append("holder released")


def impatient():
    time.sleep(0.1)
    got = lock.acquire(timeout=0.1)
    events.append(f"impatient got lock: {got}")
    if got:
        lock.release()


t1 = threading.Thread(target=holder)
t2 = threading.Thread(target=impatient)
t1.start()
t2.start()
t1.join()
t2.join()
for e in events:
    print(e)
print(lock.acquire(blocking=False), lock.locked())
lock.release()
