#!/usr/bin/env python3
"""Memory under hostile input: the real binary's RSS idle, with 300 slow connections that
announce a 1 MB push and send one byte, and during five rounds of four concurrent 1 MB pushes of
499,000 junk items. Loopback only, bounded in count and time.

    cargo build && python3 scripts/memory-bounds.py [path/to/hikbridge]
"""
import socket, subprocess, sys, tempfile, time, os, threading, urllib.request, urllib.error
BIN = sys.argv[1] if len(sys.argv) > 1 else "target/debug/hikbridge"
DIR = tempfile.mkdtemp(prefix="hb-mem-")
env={k:v for k,v in os.environ.items() if not k.startswith("HIKBRIDGE")}
env.update({"HIKBRIDGE__STORE__URL":"sqlite://" + DIR + "/hb.db","HIKBRIDGE__SERVER__LISTEN":"127.0.0.1:18555",
 "HIKBRIDGE__EVENTS__CALLBACK_SECRET":"callback-secret-0123456789","HIKBRIDGE__DELIVERY__ENABLED":"false"})
p=subprocess.Popen([BIN,"serve"],env=env,stderr=subprocess.DEVNULL)
def rss():
    for l in open(f"/proc/{p.pid}/status"):
        if l.startswith("VmRSS"): return int(l.split()[1])//1024
for _ in range(100):
    try:
        urllib.request.urlopen("http://127.0.0.1:18555/health"); break
    except Exception: time.sleep(0.1)
print("idle RSS MB", rss())
# 300 slow connections announcing 1 MB to the callback (right secret), sending 1 byte per second
socks=[]
for i in range(300):
    s=socket.create_connection(("127.0.0.1",18555))
    s.sendall(b"POST /hikcentral/events/callback-secret-0123456789 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{")
    socks.append(s)
time.sleep(2)
print("300 slow connections RSS MB", rss())
for s in socks: s.close()
# 4 concurrent 1 MB junk pushes, 5 rounds
junk=('{"params":{"events":['+",".join(["1"]*499000)+']}}').encode()
def push():
    r=urllib.request.Request("http://127.0.0.1:18555/hikcentral/events/callback-secret-0123456789",data=junk,headers={"Content-Type":"application/json"})
    t=time.time()
    try:
        urllib.request.urlopen(r)
        code=200
    except urllib.error.HTTPError as e: code=e.code
    return code, time.time()-t
peak=0; results=[]
for round in range(5):
    ts=[]; 
    for i in range(4):
        th=threading.Thread(target=lambda: results.append(push())); th.start(); ts.append(th)
    while any(t.is_alive() for t in ts):
        peak=max(peak,rss()); time.sleep(0.02)
print("4 concurrent 1 MB junk pushes x5: answers", sorted(set(c for c,_ in results)), "max seconds %.2f"%max(d for _,d in results), "peak RSS MB", peak)
p.kill()
