package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Whole-file operations for the offline commands (verify, compact) and the
// lock test restore uses.

// IsLocked reports whether err says the store file is held by another
// process (a running daemon).
func IsLocked(err error) bool { return errors.Is(err, bolt.ErrTimeout) }

// FileInfo describes a verified store file.
type FileInfo struct {
	Schema int
	Size   int64
}

// requiredBuckets are those every Pantau store has since version 1.
var requiredBuckets = [][]byte{bucketMeta, bucketMentions, bucketEvents, bucketAlerts, bucketSources}

// VerifyFile opens path read-only and checks that it is a Pantau store this
// build can read: bbolt's own consistency check passes, the buckets are
// there and its schema version is not newer than SchemaVersion. It waits
// at most lockWait for a writer's lock.
func VerifyFile(path string, lockWait time.Duration) (FileInfo, error) {
	var info FileInfo
	fi, err := os.Stat(path)
	if err != nil {
		return info, err
	}
	if !fi.Mode().IsRegular() {
		return info, fmt.Errorf("%s is not a regular file", path)
	}
	info.Size = fi.Size()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockWait})
	if err != nil {
		return info, fmt.Errorf("%s is not a readable bbolt file: %w", path, err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		for _, b := range requiredBuckets {
			if tx.Bucket(b) == nil {
				return fmt.Errorf("no %s bucket: not a Pantau store", b)
			}
		}
		v, found, err := readSchema(tx)
		if err != nil {
			return err
		}
		if !found {
			return errors.New("no schema version: not a Pantau store")
		}
		if v > SchemaVersion() {
			return fmt.Errorf("%w: schema version %d, this build reads up to %d", ErrSchemaTooNew, v, SchemaVersion())
		}
		info.Schema = v
		for cerr := range tx.Check() {
			return fmt.Errorf("consistency check: %w", cerr)
		}
		return nil
	})
	if err != nil {
		return info, fmt.Errorf("%s: %w", path, err)
	}
	return info, nil
}

// CopyFile writes a consistent copy of the store file at path to w
// without the daemon, opening it read-only. It fails at once (IsLocked)
// when a running daemon holds the file.
func CopyFile(path string, w io.Writer, lockWait time.Duration) (int64, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockWait})
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	var n int64
	err = db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// CheckUnlocked fails (IsLocked) when another process holds the store
// file at path, waiting at most lockWait.
func CheckUnlocked(path string, lockWait time.Duration) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockWait})
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	return db.Close()
}

// CompactInPlace compacts the store at path into a new file beside it and
// swaps it in, holding the store's lock throughout so that no daemon can
// start on the old file meanwhile. It returns the sizes before and after.
func CompactInPlace(path string) (before, after int64, err error) {
	in, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		return 0, 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer in.Close()
	if fi, err := os.Stat(path); err == nil {
		before = fi.Size()
	}
	tmp := path + ".compact-tmp"
	os.Remove(tmp) // a leftover of an interrupted run
	if err := compactInto(in, tmp); err != nil {
		return before, 0, err
	}
	if _, err := VerifyFile(tmp, time.Second); err != nil {
		os.Remove(tmp)
		return before, 0, fmt.Errorf("compacted copy failed verification, the original is unchanged: %w", err)
	}
	fi, err := os.Stat(tmp)
	if err != nil {
		return before, 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return before, 0, err
	}
	return before, fi.Size(), SyncDir(path)
}

// SyncDir makes a rename in the directory of path durable.
func SyncDir(path string) error {
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func compactInto(in *bolt.DB, dst string) error {
	out, err := bolt.Open(dst, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("create %s: %w", dst, err)
	}
	// 64 MiB per transaction keeps memory bounded on big stores.
	if err := bolt.Compact(out, in, 64<<20); err != nil {
		out.Close()
		os.Remove(dst)
		return fmt.Errorf("compact: %w", err)
	}
	if err := out.Close(); err != nil {
		os.Remove(dst)
		return err
	}
	return nil
}

// CompactFile rewrites the store at src into a new file dst (which must
// not exist) holding only live pages, with bbolt's Compact. src must not
// be open elsewhere: a running daemon's lock makes it fail at once with an
// error IsLocked recognises.
func CompactFile(src, dst string) error {
	in, err := bolt.Open(src, 0o600, &bolt.Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		return fmt.Errorf("open %s: %w", src, err)
	}
	defer in.Close()
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("%s already exists", dst)
	}
	return compactInto(in, dst)
}

// Snapshot writes a consistent copy of the whole store to w, as Backup
// does, first telling size how many bytes will follow (so an HTTP
// response can carry a Content-Length and a cut-off download is noticed).
func (s *Store) Snapshot(w io.Writer, size func(int64)) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		size(tx.Size())
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}
