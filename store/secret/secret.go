// Package secret holds configuration values that must never be shown:
// tokens, passwords, webhook URLs. A Secret prints, logs and marshals as
// "<secret>"; only Reveal gives the value, at the one place that sends it.
//
// It lives under store/ only because every Pantau package may import store
// and its children; it depends on nothing of ours.
package secret

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxSecretFile bounds a secret file (keys, service-account JSON).
const maxSecretFile = 64 << 10

// Redacted is how a secret is shown.
const Redacted = "<secret>"

// Secret is a value to keep out of logs, errors and the dashboard.
type Secret struct{ value string }

// New wraps a value.
func New(v string) Secret { return Secret{value: v} }

// Reveal returns the value. Call it only where the value is sent.
func (s Secret) Reveal() string { return s.value }

// IsSet reports whether the secret has a value.
func (s Secret) IsSet() bool { return s.value != "" }

// String shows the secret redacted, so %v and %s never leak it.
func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return Redacted
}

// GoString keeps %#v from leaking the value too.
func (s Secret) GoString() string { return `secret.Secret("` + s.String() + `")` }

// LogValue keeps slog from leaking it.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON shows the secret redacted.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// MarshalYAML shows the secret redacted.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

var envRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// UnmarshalYAML reads a secret from the config. A value of the form
// ${NAME} is read from the environment variable NAME, which must be set.
func (s *Secret) UnmarshalYAML(node *yaml.Node) error {
	// The decoder does not add a position to an unmarshaler's error, so
	// say the line here ("line N: " is the decoder's own form).
	var v string
	if err := node.Decode(&v); err != nil {
		return fmt.Errorf("line %d: a secret must be a string", node.Line)
	}
	if m := envRef.FindStringSubmatch(v); m != nil {
		ev, ok := os.LookupEnv(m[1])
		if !ok || ev == "" {
			return fmt.Errorf("line %d: secret from environment variable %s: it is not set", node.Line, m[1])
		}
		v = ev
	}
	s.value = v
	return nil
}

// FromFile reads a secret from a file (a "*_file" config field), trimming
// the trailing newline editors add. Errors name the file, never its
// content.
func FromFile(path string) (Secret, error) {
	// A secret is small, and a regular file: /dev/zero or a named pipe in
	// a config must fail, not hang or fill the memory.
	f, err := os.Open(path)
	if err != nil {
		return Secret{}, fmt.Errorf("read secret file: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return Secret{}, fmt.Errorf("secret file %s is not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return Secret{}, fmt.Errorf("read secret file: %w", err)
	}
	if len(b) > maxSecretFile {
		return Secret{}, fmt.Errorf("secret file %s is larger than %d bytes", path, maxSecretFile)
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return Secret{}, fmt.Errorf("secret file %s is empty", path)
	}
	return Secret{value: v}, nil
}

// Resolve returns inline if it is set, else the content of file if that is
// set, and an error when both are set.
func Resolve(inline Secret, file string) (Secret, error) {
	switch {
	case inline.IsSet() && file != "":
		return Secret{}, errors.New("set either the value or its _file, not both")
	case file != "":
		return FromFile(file)
	}
	return inline, nil
}
