package accounts

import (
	"fmt"
	"slices"
	"time"
)

// ErrNoUser is wrapped by the changes below when the user does not exist.
var ErrNoUser = fmt.Errorf("no such user")

// The changes the CLI makes. Each checks its input, changes f and records
// the change for the audit log; none records a password or a hash.

// AddUser adds a user with a password that the caller has checked with
// ValidPassword and hashed.
func (f *File) AddUser(name string, role Role, hash, by string, now time.Time) error {
	if err := ValidName(name); err != nil {
		return err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	if _, ok := f.Lookup(name); ok {
		return fmt.Errorf("user %q already exists", name)
	}
	f.Users = append(f.Users, User{Name: name, Role: role, Hash: hash, Stamp: NewStamp(), Created: now, Updated: now})
	f.record(Change{At: now, By: by, Action: "user.add", Target: name, Detail: "role " + string(role)})
	return nil
}

// SetPassword replaces a user's password hash, which ends their sessions.
func (f *File) SetPassword(name, hash, by string, now time.Time) error {
	i := f.index(name)
	if i < 0 {
		return fmt.Errorf("user %q: %w", name, ErrNoUser)
	}
	u := &f.Users[i]
	u.Hash, u.Stamp, u.Updated = hash, NewStamp(), now
	f.record(Change{At: now, By: by, Action: "user.passwd", Target: name, Detail: "password changed; sessions ended"})
	return nil
}

// SetRole changes a user's role, which ends their sessions.
func (f *File) SetRole(name string, role Role, by string, now time.Time) error {
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	i := f.index(name)
	if i < 0 {
		return fmt.Errorf("user %q: %w", name, ErrNoUser)
	}
	u := &f.Users[i]
	old := u.Role
	u.Role, u.Stamp, u.Updated = role, NewStamp(), now
	f.record(Change{At: now, By: by, Action: "user.role", Target: name, Detail: fmt.Sprintf("role %s -> %s; sessions ended", old, role)})
	return nil
}

// RemoveUser removes a user, which ends their sessions.
func (f *File) RemoveUser(name, by string, now time.Time) error {
	i := f.index(name)
	if i < 0 {
		return fmt.Errorf("user %q: %w", name, ErrNoUser)
	}
	f.Users = slices.Delete(f.Users, i, i+1)
	f.record(Change{At: now, By: by, Action: "user.remove", Target: name, Detail: "sessions ended"})
	return nil
}

func (f *File) index(name string) int {
	return slices.IndexFunc(f.Users, func(u User) bool { return u.Name == name })
}
