package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/pantau/pantau/store"
)

// The store commands: backup (hot, through the running daemon when there
// is one), restore and compact (daemon stopped).

// storeLockWait is how long the offline commands wait for the store's
// lock before deciding a daemon holds it.
const storeLockWait = 300 * time.Millisecond

func storeFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs, fs.String("config", "pantau.yaml", "config file (its data_dir and ops.listen)")
}

func cmdBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, config := storeFlags("backup", stderr)
	out := fs.String("out", "", "file to write the backup to (replaced atomically)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("backup: -out FILE is required")
	}
	cfg, err := loadConfig(*config)
	if err != nil {
		return err
	}
	dbPath := filepath.Join(cfg.DataDir, storeFileName)
	via := "the running daemon (" + cfg.Ops.Listen + ")"
	n, err := writeAtomically(*out, func(w io.Writer) (int64, error) {
		if cfg.Ops.Listen != "" {
			n, err := downloadBackup(ctx, cfg.Ops.Listen, w)
			if !errors.Is(err, errNoDaemon) {
				return n, err
			}
		}
		via = dbPath + " (no daemon running)"
		n, err := store.CopyFile(dbPath, w, storeLockWait)
		if store.IsLocked(err) {
			return 0, fmt.Errorf("backup: %s is held by a running pantau and no ops listener answers; set ops.listen in the config (and restart) so backup can go through the daemon", dbPath)
		}
		return n, err
	})
	if err != nil {
		return err
	}
	info, err := store.VerifyFile(*out, time.Second)
	if err != nil {
		return fmt.Errorf("backup: written, but it does not verify: %w", err)
	}
	fmt.Fprintf(stdout, "backup of %s written to %s: %d bytes, schema version %d\n", via, *out, n, info.Schema)
	return nil
}

// errNoDaemon says nothing listens on the ops address.
var errNoDaemon = errors.New("no daemon answers")

// downloadBackup streams GET /backup from the daemon's ops listener to w
// and checks it arrived whole.
func downloadBackup(ctx context.Context, listen string, w io.Writer) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+listen+"/backup", nil)
	if err != nil {
		return 0, fmt.Errorf("backup: ops.listen %q: %w", listen, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" && errors.Is(err, syscall.ECONNREFUSED) {
			return 0, errNoDaemon
		}
		return 0, fmt.Errorf("backup: ask the daemon at %s: %w", listen, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return 0, fmt.Errorf("backup: the daemon at %s answered %s: %s", listen, resp.Status, body)
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("backup: download cut off after %d bytes: %w", n, err)
	}
	if want, _ := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64); resp.ContentLength >= 0 && n != want {
		return n, fmt.Errorf("backup: download cut off: %d of %d bytes", n, want)
	}
	return n, nil
}

// writeAtomically writes path through a temporary file beside it, synced
// before it is renamed into place: a crash leaves the old file or the new
// one, never half of one.
func writeAtomically(path string, fill func(io.Writer) (int64, error)) (int64, error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return 0, err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := fill(tmp)
	if err != nil {
		return n, err
	}
	if err := tmp.Sync(); err != nil {
		return n, err
	}
	if err := tmp.Close(); err != nil {
		return n, err
	}
	if _, err := store.VerifyFile(tmp.Name(), time.Second); err != nil {
		return n, fmt.Errorf("the copy does not verify, nothing was replaced: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return n, err
	}
	done = true
	return n, store.SyncDir(path)
}

func cmdRestore(args []string, stdout, stderr io.Writer) error {
	fs, config := storeFlags("restore", stderr)
	in := fs.String("in", "", "backup file to restore")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" {
		return errors.New("restore: -in FILE is required")
	}
	cfg, err := loadConfig(*config)
	if err != nil {
		return err
	}
	info, err := store.VerifyFile(*in, time.Second)
	if err != nil {
		return fmt.Errorf("restore: %s cannot be restored: %w", *in, err)
	}
	dbPath := filepath.Join(cfg.DataDir, storeFileName)
	// Hold the store's lock while swapping, so a daemon cannot be using it.
	unlock, err := lockStore(dbPath)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer unlock()

	src, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer src.Close()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return err
	}
	kept := ""
	if _, err := os.Stat(dbPath); err == nil {
		kept = dbPath + ".bak-" + time.Now().UTC().Format("20060102T150405Z")
		// A hard link keeps the current file under a new name while it
		// stays in place until the rename below replaces it.
		if err := os.Link(dbPath, kept); err != nil {
			return fmt.Errorf("restore: keep the current store as %s: %w", kept, err)
		}
	}
	if _, err := writeAtomically(dbPath, func(w io.Writer) (int64, error) { return io.Copy(w, src) }); err != nil {
		return fmt.Errorf("restore: %w (the current store is unchanged)", err)
	}
	fmt.Fprintf(stdout, "restored %s (schema version %d, %d bytes) to %s\n", *in, info.Schema, info.Size, dbPath)
	if kept != "" {
		fmt.Fprintf(stdout, "the previous store is kept as %s\n", kept)
	}
	if info.Schema < store.SchemaVersion() {
		fmt.Fprintf(stdout, "it will be migrated from schema version %d to %d when pantau starts\n", info.Schema, store.SchemaVersion())
	}
	return nil
}

// lockStore takes the store file's lock (as a daemon does) and fails
// clearly when a running daemon holds it. A missing file needs no lock.
func lockStore(path string) (unlock func(), err error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return func() {}, nil
	}
	err = store.CheckUnlocked(path, storeLockWait)
	if store.IsLocked(err) {
		return nil, fmt.Errorf("%s is in use by a running pantau: stop it first (systemctl stop pantau)", path)
	}
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	// The same lock bbolt takes, exclusive, not waiting.
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s is in use by a running pantau: stop it first", path)
	}
	return func() { f.Close() }, nil
}

func cmdCompact(args []string, stdout, stderr io.Writer) error {
	fs, config := storeFlags("compact", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(*config)
	if err != nil {
		return err
	}
	dbPath := filepath.Join(cfg.DataDir, storeFileName)
	before, after, err := store.CompactInPlace(dbPath)
	if store.IsLocked(err) {
		return fmt.Errorf("compact: %s is in use by a running pantau: stop it first (systemctl stop pantau)", dbPath)
	}
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	fmt.Fprintf(stdout, "compacted %s: %d bytes before, %d after (%.0f%%)\n", dbPath, before, after, 100*float64(after)/float64(max(before, 1)))
	return nil
}
