// Command pantau is the Pantau daemon: it watches what the public says about
// a brand, flags the complaints that are about to blow up or that nobody has
// answered, and streams them to a live dashboard.
//
// This package handles the process only: flags, subcommands, config
// loading, wiring, signals. The work is done by store, collectors, alerting
// and ui.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	os.Exit(pantau(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `Pantau watches what the public says about your brand.

Usage:
  pantau demo [-listen ADDR] [-data DIR]   run against built-in fake sources (no network, no config)
  pantau run -config pantau.yaml           run the daemon
  pantau check-config pantau.yaml          validate a config file and exit
  pantau backup -config F -out FILE        hot backup of the store (through the running daemon's ops listener)
  pantau restore -config F -in FILE        replace the store with a backup (daemon stopped)
  pantau compact -config F                 rewrite the store without its free pages (daemon stopped)
  pantau soak [-duration 10m] [-rate 1000] [-clients 200]
                                           load test: the daemon against fast fake sources and many dashboards
  pantau score < mentions.jsonl            score text: JSON lines ({"text": ...}) or plain lines
  pantau eval [-data DIR]                  measure the scorer on the labeled data in ../shared/data
  pantau audit < replies.jsonl             audit brand replies: JSON lines or plain lines
  pantau user add|list|passwd|role|remove  manage dashboard accounts (pantau user help)
  pantau digest -config F -period daily|weekly [-at RFC3339] [-out FILE]
                                           render a reputation digest without sending it
  pantau version                           print the version

SIGINT or SIGTERM stops the daemon gracefully; SIGHUP reloads its config
(an invalid new config is reported and the old one kept).
`

// pantau runs one subcommand and returns the process exit code.
func pantau(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// SIGHUP is taken before anything else: its default action ends the
	// process, and a reload sent while the daemon starts must not.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "run":
		err = cmdRun(ctx, rest, hup, stdout, stderr)
	case "demo":
		err = cmdDemo(ctx, rest, stdout, stderr)
	case "check-config":
		err = cmdCheckConfig(rest, stdout, stderr)
	case "backup":
		err = cmdBackup(ctx, rest, stdout, stderr)
	case "restore":
		err = cmdRestore(rest, stdout, stderr)
	case "compact":
		err = cmdCompact(rest, stdout, stderr)
	case "soak":
		err = cmdSoak(ctx, rest, stdout, stderr)
	case "score":
		err = cmdScore(ctx, rest, stdin, stdout, stderr)
	case "eval":
		err = cmdEval(ctx, rest, stdout, stderr)
	case "audit":
		err = cmdAudit(ctx, rest, stdin, stdout, stderr)
	case "user":
		err = cmdUser(rest, stdin, stdout, stderr)
	case "digest":
		err = cmdDigest(ctx, rest, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "pantau", version)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "pantau: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "pantau:", err)
		return 1
	}
	return 0
}

func cmdRun(ctx context.Context, args []string, hup <-chan os.Signal, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "pantau.yaml", "config file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, serveOptions{ConfigPath: *path, Reload: hup, Stdout: stdout, Stderr: stderr})
}

func cmdCheckConfig(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "config file (or give it as the argument)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" {
		*path = fs.Arg(0)
	}
	if *path == "" {
		return errors.New("check-config: name the config file")
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s is valid: %d brand(s), %d source(s), %d rule(s)\n", *path, len(cfg.Brands), len(cfg.Sources), len(cfg.Rules))
	return nil
}
