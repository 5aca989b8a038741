package accounts

import (
	"os"
	"sync"
	"time"
)

// Directory is the daemon's live view of the users file. Reload re-reads
// the file when it changed; a file that fails to read or validate is
// reported and the previous users are kept, as with the config.
type Directory struct {
	path string

	mu    sync.RWMutex
	file  *File
	found bool
	seen  fileStat
}

// fileStat is what tells that the file changed without reading it. The
// CLI replaces the file by renaming, so the inode changes on every write
// even within one mtime tick.
type fileStat struct {
	ino   uint64
	size  int64
	mtime time.Time
	ok    bool
}

// NewDirectory makes a Directory over the users file at path; call Reload
// to read it.
func NewDirectory(path string) *Directory {
	return &Directory{path: path, file: &File{Version: fileVersion}}
}

// Path is the users file's path.
func (d *Directory) Path() string { return d.path }

// Reload reads the file if it changed since the last read (or always,
// with force). It returns the file as it was and as it is now when it
// changed, and changed false when nothing did. On error the previous
// users stay in force.
func (d *Directory) Reload(force bool) (before, after *File, changed bool, err error) {
	st := statFile(d.path)
	d.mu.RLock()
	same := st == d.seen
	d.mu.RUnlock()
	if same && !force {
		return nil, nil, false, nil
	}
	f, found, err := Read(d.path)
	d.mu.Lock()
	defer d.mu.Unlock()
	// Remember the stat even when reading failed: a broken file is
	// reported once, not every few seconds, until it changes again.
	d.seen = st
	if err != nil {
		return nil, nil, false, err
	}
	before, d.file, d.found = d.file, f, found
	return before, f, true, nil
}

// Lookup returns the user called name as the file last read says.
func (d *Directory) Lookup(name string) (User, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.file.Lookup(name)
}

// Count is the number of users.
func (d *Directory) Count() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.file.Users)
}

func statFile(path string) fileStat {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStat{}
	}
	return fileStat{ino: inode(fi), size: fi.Size(), mtime: fi.ModTime(), ok: true}
}
