package accounts

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

// FileName is the users file's name in the data directory.
const FileName = "users.json"

// maxFileBytes bounds the users file: a few hundred accounts and the
// change log fit in far less.
const maxFileBytes = 4 << 20

// maxChanges bounds the change log kept in the file. The daemon copies
// changes into its audit log when it reloads, within seconds, so only a
// daemon that was down during more changes than this misses some, and the
// audit log says so.
const maxChanges = 500

// File is the users file's content.
type File struct {
	Version int `json:"version"`
	// ID is random and made when the file is created, so the daemon can
	// tell a file deleted and made again from the one it knew (whose change
	// numbers it has already audited).
	ID    string `json:"id"`
	Users []User `json:"users"`
	// Changes are the account changes the CLI made, oldest first, for the
	// daemon to copy into its audit log (the CLI cannot open the store
	// while the daemon holds it).
	Changes    []Change `json:"changes"`
	NextChange uint64   `json:"next_change"`
}

// Change is one account change made with the CLI. It never holds a
// password or hash.
type Change struct {
	Seq    uint64    `json:"seq"`
	At     time.Time `json:"at"`
	By     string    `json:"by"` // the operating-system user who ran the CLI
	Action string    `json:"action"`
	Target string    `json:"target"`
	Detail string    `json:"detail,omitempty"`
}

const fileVersion = 1

// Lookup returns the user called name.
func (f *File) Lookup(name string) (User, bool) {
	for _, u := range f.Users {
		if u.Name == name {
			return u, true
		}
	}
	return User{}, false
}

// record appends a change to the log, keeping it bounded.
func (f *File) record(c Change) {
	f.NextChange++
	c.Seq = f.NextChange
	f.Changes = append(f.Changes, c)
	if n := len(f.Changes) - maxChanges; n > 0 {
		f.Changes = slices.Delete(f.Changes, 0, n)
	}
}

// validate checks what a hand-edited or damaged file could get wrong.
func (f *File) validate() error {
	if f.Version != fileVersion {
		return fmt.Errorf("version %d: this build reads version %d", f.Version, fileVersion)
	}
	if f.ID == "" {
		return errors.New("no id")
	}
	seen := map[string]bool{}
	var errs []error
	for i, u := range f.Users {
		if err := ValidName(u.Name); err != nil {
			errs = append(errs, fmt.Errorf("users[%d]: %w", i, err))
			continue
		}
		if seen[u.Name] {
			errs = append(errs, fmt.Errorf("users[%d]: %q is listed twice", i, u.Name))
		}
		seen[u.Name] = true
		if _, err := ParseRole(string(u.Role)); err != nil {
			errs = append(errs, fmt.Errorf("users[%d] (%s): %w", i, u.Name, err))
		}
		if _, _, _, err := parseHash(u.Hash); err != nil {
			errs = append(errs, fmt.Errorf("users[%d] (%s): %w", i, u.Name, err))
		}
		if len(u.Stamp) < 16 {
			errs = append(errs, fmt.Errorf("users[%d] (%s): stamp missing", i, u.Name))
		}
	}
	return errors.Join(errs...)
}

// Read reads and checks the users file at path. A missing file reads as
// an empty one (no users yet) with found false.
func Read(path string) (f *File, found bool, err error) {
	data, err := readCapped(path)
	if errors.Is(err, os.ErrNotExist) {
		return &File{Version: fileVersion}, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	f = &File{}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(f); err != nil {
		return nil, true, fmt.Errorf("users file %s: %w", path, err)
	}
	if err := f.validate(); err != nil {
		return nil, true, fmt.Errorf("users file %s: %w", path, err)
	}
	return f, true, nil
}

func readCapped(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	if fi, err := fh.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("users file %s: not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(fh, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("users file %s: %w", path, err)
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("users file %s: larger than %d bytes", path, maxFileBytes)
	}
	return data, nil
}

// Update changes the users file at path under an exclusive advisory lock
// (users.json.lock), so concurrent CLI runs apply one after the other, and
// replaces it atomically: the daemon reads either the old file or the new
// one, never half of one. fn's changes are saved only if it returns nil.
func Update(path string, fn func(*File) error) error {
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("users file lock: %w", err)
	}
	defer lock.Close()
	if err := giveToDirOwner(lock, filepath.Dir(path)); err != nil {
		return fmt.Errorf("users file lock: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("users file lock: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	f, found, err := Read(path)
	if err != nil {
		return err
	}
	if !found {
		id := make([]byte, 16)
		if _, err := rand.Read(id); err != nil {
			return err
		}
		f.ID = hex.EncodeToString(id)
	}
	if err := fn(f); err != nil {
		return err
	}
	if err := f.validate(); err != nil {
		return fmt.Errorf("users file: refusing to write: %w", err)
	}
	return writeAtomic(path, f)
}

// writeAtomic writes f to a temporary file in path's directory with mode
// 0600, syncs it and renames it over path.
func writeAtomic(path string, f *File) error {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".users-*.tmp")
	if err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("users file: %w", err)
	}
	if err := giveToDirOwner(tmp, filepath.Dir(path)); err != nil {
		tmp.Close()
		return fmt.Errorf("users file: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("users file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("users file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	// Make the rename itself durable.
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// NewStamp returns a fresh random session stamp.
func NewStamp() string {
	b := make([]byte, 16)
	rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// giveToDirOwner gives f to the owner of dir when running as root. Run as
// root (sudo pantau user add ...), the users file would become root's and
// the daemon, running as its own user, could not read it.
func giveToDirOwner(f *os.File, dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	return f.Chown(int(st.Uid), int(st.Gid))
}
