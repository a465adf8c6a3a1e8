import threading
import time


def hello(name):
    print("hello,", name)


t1 = threading.Timer(0.5, hello, args=("world",))
t2 = threading.Timer(1.0, hello, kwargs={"name": "never"})
t1.start()
t2.start()
time.sleep(0.7)
t2.cancel()
t1.join()
t2.join()
print("t2 finished:", t2.finished.is_set())
print("done")
