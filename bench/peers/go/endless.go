// Go peer 4: an endless-style fork-restart server written here from the standard library only,
// behaving as fvbock/endless does (the walkthrough's article uses that library; Debian does not
// package it). What it mirrors, on purpose, including endless' weak spots:
//
//   - SIGHUP: start os.Args[0] again (looked up in PATH when it has no slash, so the binary on
//     disk now), the listener passed as fd 3 (ExtraFiles) and ENDLESS_CONTINUE=1 in the
//     environment. Only the first SIGHUP of a process forks; later ones are logged and ignored.
//     If the start fails the parent exits at once (endless calls log.Fatalf there): a failed
//     restart takes the running server down.
//   - the child, once it holds the listener, sends SIGTERM to its parent (getppid) before it
//     serves: there is no readiness hand-shake beyond that.
//   - SIGINT/SIGTERM: keep-alives off (which closes idle connections at once, racing any request
//     already on the wire), listener closed, then wait for every connection to close; after the
//     hammer time (-hammer, endless' default 60 s) stop waiting and exit.
//   - SIGUSR2 ("hammer time"): stop waiting now — but only while shutting down, as endless.
//   - SIGUSR1, SIGTSTP: hooks only (logged); SIGTSTP does not stop the process.
//
// Like endless it logs "<pid> <addr>" (its BeforeBegin) on stderr once it holds the listener;
// beside endless it prints the harness's readiness line and sends MAINPID (common.go), so the
// next fault reaches the new process.
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// trackedListener counts open connections so shutdown can wait for all of them, as endless'
// listener does with a WaitGroup.
type trackedListener struct {
	net.Listener
	open sync.WaitGroup
}

type trackedConn struct {
	net.Conn
	owner *trackedListener
	once  sync.Once
}

func (l *trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.open.Add(1)
	return &trackedConn{Conn: c, owner: l}, nil
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.owner.open.Done)
	return err
}

// listen takes fd 3 when started by a restart, else binds addr.
func listen(addr string) (net.Listener, bool, error) {
	if os.Getenv("ENDLESS_CONTINUE") == "" {
		ln, err := net.Listen("tcp", addr)
		return ln, false, err
	}
	f := os.NewFile(3, "listener")
	ln, err := net.FileListener(f)
	f.Close() // FileListener made its own copy
	return ln, true, err
}

// restart starts the binary again with the listener; a failure ends this process (endless).
func restart(ln net.Listener) {
	file, err := ln.(*net.TCPListener).File() // a dup without FD_CLOEXEC
	if err != nil {
		log.Fatalf("restart: listener file: %v", err)
	}
	defer file.Close()
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{file}
	nextGenerationEnv()
	cmd.Env = append(os.Environ(), "ENDLESS_CONTINUE=1")
	if err := cmd.Start(); err != nil {
		log.Fatalf("restart: failed to launch: %v", err)
	}
	log.Printf("%d restart: started %d", os.Getpid(), cmd.Process.Pid)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (the first generation's; later ones inherit)")
	hammer := flag.Duration("hammer", 60*time.Second, "how long a shutdown waits for connections")
	flag.Parse()
	log.SetFlags(log.Lmicroseconds)

	inner, inherited, err := listen(*addr)
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	ln := &trackedListener{Listener: inner}
	srv := &http.Server{Handler: handler()}
	if inherited {
		syscall.Kill(os.Getppid(), syscall.SIGTERM)
	}

	var shuttingDown atomic.Bool
	hammerNow := make(chan struct{})
	var hammerOnce sync.Once
	stopWaiting := func() { hammerOnce.Do(func() { close(hammerNow) }) }
	go func() {
		sig := make(chan os.Signal, 8)
		signal.Notify(sig, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGUSR1,
			syscall.SIGUSR2, syscall.SIGTSTP)
		forked := false
		for s := range sig {
			log.Printf("%d received %v", os.Getpid(), s)
			switch s {
			case syscall.SIGHUP:
				if forked {
					log.Printf("%d already forked: ignored", os.Getpid())
					continue
				}
				forked = true
				restart(inner)
			case syscall.SIGINT, syscall.SIGTERM:
				if shuttingDown.Swap(true) {
					continue
				}
				srv.SetKeepAlivesEnabled(false)
				inner.Close()
				time.AfterFunc(*hammer, stopWaiting)
			case syscall.SIGUSR2:
				if shuttingDown.Load() {
					stopWaiting()
				}
			}
		}
	}()

	log.Println(os.Getpid(), *addr) // endless' BeforeBegin: "<pid> <addr>" on stderr, before serving
	announce(inner)
	notifyMainPID()
	srv.Serve(ln) // returns once the listener is closed
	done := make(chan struct{})
	go func() { ln.open.Wait(); close(done) }()
	select {
	case <-done:
		log.Printf("%d every connection closed: exit", os.Getpid())
	case <-hammerNow:
		log.Printf("%d hammer time: exit with connections open", os.Getpid())
	}
}
