# (a) The seed's unlocked counter (programs/counter_race.toy) at 4 threads x 1,000,000.
import threading

counter = 0

def increment():
    global counter
    for _ in range(1_000_000):
        counter += 1   # NOT atomic: read counter, add 1, write back -- 3 separate steps

threads = [threading.Thread(target=increment) for _ in range(4)]
[t.start() for t in threads]
[t.join() for t in threads]
print(counter)   # often less than 4,000,000 -- lost updates!
