// Go peer 2: cloudflare/tableflip. SIGHUP: exec a new process that inherits the listener; once
// it calls Ready() the parent stops accepting, drains (5 s budget) and exits. The successor
// announces MAINPID so the harness sends the next SIGHUP to it. SIGINT/SIGTERM: drain and exit.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cloudflare/tableflip"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (the first generation's; later ones inherit)")
	pidFile := flag.String("pid-file", "", "pid file")
	flag.Parse()
	upg, err := tableflip.New(tableflip.Options{PIDFile: *pidFile, UpgradeTimeout: 10 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, "tableflip:", err)
		os.Exit(1)
	}
	defer upg.Stop()
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM)
		for s := range sig {
			if s != syscall.SIGHUP {
				upg.Stop()
				return
			}
			nextGenerationEnv()
			if err := upg.Upgrade(); err != nil {
				fmt.Fprintln(os.Stderr, "upgrade failed:", err)
			}
		}
	}()
	ln, err := upg.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: handler()}
	go srv.Serve(ln)
	if err := upg.Ready(); err != nil {
		fmt.Fprintln(os.Stderr, "ready:", err)
		os.Exit(1)
	}
	announce(ln)
	notifyMainPID()
	<-upg.Exit()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
}
