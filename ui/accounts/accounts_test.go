package accounts

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestValidName(t *testing.T) {
	for _, ok := range []string{"sari", "budi.s", "ops_1", "a", "x-y", strings.Repeat("a", 32), "9lives"} {
		if err := ValidName(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Sari", "a b", "../x", "-x", ".x", "_x", "a/b", "a\x00", "é", "<b>", "a\nb", strings.Repeat("a", 33), "ѕari" /* Cyrillic s */} {
		if err := ValidName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestValidPassword(t *testing.T) {
	if err := ValidPassword("twelve chars"); err != nil {
		t.Error(err)
	}
	if err := ValidPassword("kopi susu ☕"); err == nil || !strings.Contains(err.Error(), "at least 12") {
		t.Errorf("11 runes: %v", err)
	}
	if err := ValidPassword("ééééééééééé"); err == nil {
		t.Error("11 two-byte runes accepted: length is counted in characters")
	}
	if err := ValidPassword(strings.Repeat("x", MaxPasswordBytes+1)); err == nil {
		t.Error("oversized password accepted")
	}
	if err := ValidPassword("abcdefghijkl\xff"); err == nil {
		t.Error("invalid UTF-8 accepted")
	}
}

func TestHashAndVerify(t *testing.T) {
	h, err := HashPasswordCost("correct horse battery", 64, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q", h)
	}
	h2, _ := HashPasswordCost("correct horse battery", 64, 1)
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterY": false, "": false, "correct horse battery ": false} {
		if ok, err := VerifyPassword(h, pw); ok != want || err != nil {
			t.Errorf("verify %q: %v %v", pw, ok, err)
		}
	}
	full, err := HashPassword("x")
	if err != nil || !strings.Contains(full, "m=19456,t=2,p=1") {
		t.Errorf("default cost: %q %v", full, err)
	}
}

// A tampered hash is refused before argon2 runs with its parameters.
func TestVerifyRefusesHostileHashes(t *testing.T) {
	for _, h := range []string{
		"", "plain", "$2a$10$abcdefghijklmnopqrstuv", // bcrypt: not ours
		"$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", // 4 GiB
		"$argon2id$v=19$m=64,t=100000,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	} {
		if ok, err := VerifyPassword(h, "x"); ok || !errors.Is(err, ErrBadHash) {
			t.Errorf("%q: %v %v", h, ok, err)
		}
	}
	if _, err := HashPasswordCost("x", 1<<30, 1); err == nil {
		t.Error("absurd cost accepted")
	}
}

func TestFileUpdateIsAtomicPrivateAndSerialised(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	hash, _ := HashPasswordCost("password-password", 64, 1)
	var wg sync.WaitGroup
	names := []string{"a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"}
	for _, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := Update(path, func(f *File) error { return f.AddUser(n, RoleAgent, hash, "t", now) }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	f, found, err := Read(path)
	if err != nil || !found {
		t.Fatal(found, err)
	}
	if len(f.Users) != len(names) || f.NextChange != uint64(len(names)) {
		t.Errorf("%d users, %d changes after %d concurrent adds: an update was lost", len(f.Users), f.NextChange, len(names))
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".users-*.tmp"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	// A failing change writes nothing.
	before, _ := os.ReadFile(path)
	if err := Update(path, func(f *File) error { f.Users = nil; return errors.New("no") }); err == nil {
		t.Error("error lost")
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("a failed update changed the file")
	}
}

func TestReadRefusesDamagedFiles(t *testing.T) {
	dir := t.TempDir()
	hash, _ := HashPasswordCost("password-password", 64, 1)
	for name, content := range map[string]string{
		"not JSON":      "{",
		"unknown field": `{"version":1,"id":"x","users":[],"admins":[]}`,
		"version":       `{"version":9,"id":"x"}`,
		"bad role":      `{"version":1,"id":"x","users":[{"name":"a","role":"root","hash":"` + hash + `","stamp":"0123456789abcdef"}]}`,
		"twice":         `{"version":1,"id":"x","users":[{"name":"a","role":"agent","hash":"` + hash + `","stamp":"0123456789abcdef"},{"name":"a","role":"agent","hash":"` + hash + `","stamp":"0123456789abcdef"}]}`,
		"bad hash":      `{"version":1,"id":"x","users":[{"name":"a","role":"agent","hash":"secret123","stamp":"0123456789abcdef"}]}`,
		"huge":          `{"version":1,"id":"` + strings.Repeat("x", maxFileBytes) + `"}`,
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		os.WriteFile(path, []byte(content), 0o600)
		_, _, err := Read(path)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret123") {
			t.Errorf("%s: the error shows the hash field's content", name)
		}
	}
	if f, found, err := Read(filepath.Join(dir, "missing")); err != nil || found || len(f.Users) != 0 {
		t.Errorf("missing file: %v %v", found, err)
	}
}

func TestDirectoryReloadsOnChangeOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	d := NewDirectory(path)
	// No file yet: nothing changes until forced (the daemon's first read).
	if _, _, changed, err := d.Reload(false); err != nil || changed {
		t.Fatalf("first read: %v %v", changed, err)
	}
	if _, _, changed, err := d.Reload(true); err != nil || !changed {
		t.Fatalf("forced read: %v %v", changed, err)
	}
	hash, _ := HashPasswordCost("password-password", 64, 1)
	now := time.Now()
	Update(path, func(f *File) error { return f.AddUser("sari", RoleLead, hash, "t", now) })
	_, after, changed, err := d.Reload(false)
	if err != nil || !changed || len(after.Users) != 1 {
		t.Fatalf("after add: %v %v", changed, err)
	}
	if _, _, changed, _ := d.Reload(false); changed {
		t.Error("reloaded an unchanged file")
	}
	if u, ok := d.Lookup("sari"); !ok || u.Role != RoleLead {
		t.Errorf("lookup: %+v %v", u, ok)
	}
	// A broken file keeps the previous users.
	os.WriteFile(path, []byte("{broken"), 0o600)
	if _, _, _, err := d.Reload(false); err == nil {
		t.Error("broken file not reported")
	}
	if _, ok := d.Lookup("sari"); !ok {
		t.Error("previous users lost")
	}
}
