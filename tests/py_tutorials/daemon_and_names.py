import threading


def work():
    pass


t = threading.Thread(target=work, name="bg", daemon=True)
print(t.name, t.daemon, t.is_alive())
t.start()
t.join()
print(t.is_alive())
u = threading.Thread(target=work)
u.setName("renamed")
u.setDaemon(True)
print(u.getName(), u.isDaemon())
print(threading.main_thread().name, threading.current_thread() is threading.main_thread())
print(repr(threading.Lock())[:7])
