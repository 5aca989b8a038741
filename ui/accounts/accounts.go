// Package accounts holds the dashboard's user accounts: names, roles and
// password hashes, kept in a small JSON file in the data directory.
//
// The daemon holds the bbolt store's exclusive lock while it runs, so the
// accounts cannot live there if `pantau user add` is to work while the
// daemon runs. The users file is written atomically by the CLI (under an
// advisory lock, so two CLI runs do not lose each other's change) and read
// by the daemon whenever it changes.
package accounts

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Role is what a user may do on the dashboard.
type Role string

// The roles, from the narrowest view to the widest.
const (
	RoleAgent     Role = "agent"     // the live queue and handling mentions
	RoleLead      Role = "lead"      // agent, plus alerts, silences, reveal, audit, history
	RoleMarketing Role = "marketing" // reputation history only
	RoleAdmin     Role = "admin"     // everything, the effective config too
)

// Roles lists every role, for messages and validation.
var Roles = []Role{RoleAgent, RoleLead, RoleMarketing, RoleAdmin}

// ParseRole checks that s names a role.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("role %q: must be one of agent, lead, marketing, admin", clip(s, 40))
}

// User is one account.
type User struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Hash is the password's argon2id hash in PHC form.
	Hash string `json:"hash"`
	// Stamp is random and replaced whenever the password or the role
	// changes; a session is valid only while its stamp matches, so such a
	// change ends every session of the user. A random value rather than a
	// counter: a user removed and added again must not revive old sessions.
	Stamp   string    `json:"stamp"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// Name rules: 1 to 32 characters, lower-case ASCII letters, digits and
// . _ - , starting with a letter or digit. Names appear in the audit log,
// in logs and on every screen; a narrow charset keeps look-alike letters,
// control characters and markup out of all of them.
const (
	MaxNameLen        = 32
	MinPasswordLength = 12
	// MaxPasswordBytes bounds what is hashed: argon2 would take any length,
	// but a megabyte "password" is an attack on the CPU, not a password.
	MaxPasswordBytes = 1024
)

// ValidName checks a user name.
func ValidName(name string) error {
	if name == "" {
		return errors.New("user name: empty")
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("user name: longer than %d characters", MaxNameLen)
	}
	for i, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '.' || c == '_' || c == '-') && i > 0:
		default:
			return fmt.Errorf("user name %q: use lower-case letters a-z, digits and . _ - (not first)", clip(name, MaxNameLen))
		}
	}
	return nil
}

// ValidPassword checks a new password's length. Length is what makes a
// password strong; composition rules only make people write it down.
func ValidPassword(pw string) error {
	if !utf8.ValidString(pw) {
		return errors.New("password: not valid UTF-8")
	}
	if n := utf8.RuneCountInString(pw); n < MinPasswordLength {
		return fmt.Errorf("password: at least %d characters are needed (got %d)", MinPasswordLength, n)
	}
	if len(pw) > MaxPasswordBytes {
		return fmt.Errorf("password: longer than %d bytes", MaxPasswordBytes)
	}
	return nil
}

// clip shortens s for a message, keeping valid UTF-8, and quotes nothing:
// callers use %q, which escapes control characters.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
