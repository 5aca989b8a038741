package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const value = "xoxb-very-secret-token"

func TestSecretNeverPrints(t *testing.T) {
	s := New(value)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "token", s)
	j, _ := json.Marshal(struct{ T Secret }{s})
	j = bytes.ReplaceAll(bytes.ReplaceAll(j, []byte(`\u003c`), []byte("<")), []byte(`\u003e`), []byte(">"))
	y, _ := yaml.Marshal(struct{ T Secret }{s})
	for name, out := range map[string]string{
		"%v": fmt.Sprintf("%v", s), "%s": fmt.Sprintf("%s", s), "%+v": fmt.Sprintf("%+v", struct{ T Secret }{s}),
		"%#v": fmt.Sprintf("%#v", s), "json": string(j), "yaml": string(y), "slog": logs.String(),
		"error": fmt.Errorf("send failed with %v", s).Error(),
	} {
		if strings.Contains(out, value) {
			t.Errorf("%s leaks the secret: %s", name, out)
		}
		if !strings.Contains(out, Redacted) {
			t.Errorf("%s does not show %s: %s", name, Redacted, out)
		}
	}
	if s.Reveal() != value {
		t.Fatal("Reveal lost the value")
	}
}

func TestSecretFromYAMLAndFile(t *testing.T) {
	t.Setenv("PANTAU_TEST_TOKEN", value)
	tests := map[string]struct {
		yaml, want, err string
	}{
		"inline":      {`t: abc`, "abc", ""},
		"environment": {`t: ${PANTAU_TEST_TOKEN}`, value, ""},
		"unset env":   {`t: ${PANTAU_NOT_SET_ANYWHERE}`, "", "line 1: secret from environment variable PANTAU_NOT_SET_ANYWHERE: it is not set"},
		"not string":  {`t: [1, 2]`, "", "line 1: a secret must be a string"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var c struct{ T Secret }
			err := yaml.Unmarshal([]byte(tc.yaml), &c)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || c.T.Reveal() != tc.want {
				t.Fatalf("got %q, %v", c.T.Reveal(), err)
			}
		})
	}
	path := filepath.Join(t.TempDir(), "token")
	os.WriteFile(path, []byte(value+"\n"), 0o600)
	s, err := Resolve(Secret{}, path)
	if err != nil || s.Reveal() != value {
		t.Fatalf("from file: %q %v", s.Reveal(), err)
	}
	if _, err := Resolve(New("x"), path); err == nil {
		t.Fatal("value and file both set must be refused")
	}
	os.WriteFile(path, []byte("\n"), 0o600)
	if _, err := FromFile(path); err == nil || strings.Contains(err.Error(), value) {
		t.Fatalf("empty file: %v", err)
	}
}

func TestSecretFileMustBeSmallAndRegular(t *testing.T) {
	if _, err := FromFile("/dev/zero"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("/dev/zero: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big")
	os.WriteFile(big, make([]byte, maxSecretFile+1), 0o600)
	if _, err := FromFile(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("big file: %v", err)
	}
}
