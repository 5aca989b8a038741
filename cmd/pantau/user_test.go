package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pantau/pantau/ui/accounts"
)

const cliPassword = "teh-manis-dingin-42"

// runUser runs `pantau user args...` with stdin and returns its output.
func runUser(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := cmdUser(args, strings.NewReader(stdin), &out, &errOut)
	all := out.String() + errOut.String()
	if strings.Contains(all, cliPassword) || (err != nil && strings.Contains(err.Error(), cliPassword)) {
		t.Errorf("user %v printed the password", args)
	}
	return all, err
}

func readUsers(t *testing.T, dir string) *accounts.File {
	t.Helper()
	f, found, err := accounts.Read(filepath.Join(dir, accounts.FileName))
	if err != nil || !found {
		t.Fatalf("users file: found %v, %v", found, err)
	}
	return f
}

func TestUserCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if _, err := runUser(t, cliPassword+"\n", "add", "sari", "-role", "agent", "-data", dir); err != nil {
		t.Fatal(err)
	}
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte(cliPassword+"-2\n"), 0o600)
	if _, err := runUser(t, "", "add", "-data", dir, "budi", "-role=lead", "-password-file", pwFile); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, accounts.FileName)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("users file mode %v, want 0600", fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte(cliPassword)) || !bytes.Contains(raw, []byte("$argon2id$")) {
		t.Error("the users file holds the password, or no argon2id hash")
	}
	f := readUsers(t, dir)
	sari, _ := f.Lookup("sari")
	if ok, _ := accounts.VerifyPassword(sari.Hash, cliPassword); !ok || sari.Role != accounts.RoleAgent {
		t.Errorf("sari: role %s, password ok %v", sari.Role, ok)
	}
	budi, _ := f.Lookup("budi")
	if ok, _ := accounts.VerifyPassword(budi.Hash, cliPassword+"-2"); !ok {
		t.Error("budi's password from the file does not verify")
	}

	// list, through -config's data_dir.
	cfgPath := filepath.Join(t.TempDir(), "pantau.yaml")
	os.WriteFile(cfgPath, []byte("data_dir: "+dir+"\nsources: [{name: x, token: \"${NOT_SET_HERE}\"}]\n"), 0o600)
	out, err := runUser(t, "", "list", "-config", cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "sari") || !strings.Contains(out, "lead") || strings.Contains(out, "argon2") {
		t.Errorf("list:\n%s", out)
	}

	// passwd and role replace the stamp, which ends sessions.
	if _, err := runUser(t, "another-long-password\n", "passwd", "sari", "-data", dir); err != nil {
		t.Fatal(err)
	}
	if _, err := runUser(t, "", "role", "budi", "admin", "-data", dir); err != nil {
		t.Fatal(err)
	}
	f2 := readUsers(t, dir)
	sari2, _ := f2.Lookup("sari")
	budi2, _ := f2.Lookup("budi")
	if sari2.Stamp == sari.Stamp || budi2.Stamp == budi.Stamp || budi2.Role != accounts.RoleAdmin {
		t.Errorf("stamps or role not changed: %+v %+v", sari2, budi2)
	}
	if ok, _ := accounts.VerifyPassword(sari2.Hash, "another-long-password"); !ok {
		t.Error("new password does not verify")
	}
	if _, err := runUser(t, "", "remove", "sari", "-data", dir); err != nil {
		t.Fatal(err)
	}
	f3 := readUsers(t, dir)
	if _, ok := f3.Lookup("sari"); ok {
		t.Error("sari not removed")
	}
	var actions []string
	for _, c := range f3.Changes {
		actions = append(actions, c.Action+" "+c.Target)
		if c.By == "" {
			t.Errorf("change %+v: no operator", c)
		}
	}
	want := "user.add sari,user.add budi,user.passwd sari,user.role budi,user.remove sari"
	if strings.Join(actions, ",") != want {
		t.Errorf("changes %v, want %s", actions, want)
	}
}

func TestUserCommandsRefuseBadInput(t *testing.T) {
	dir := t.TempDir()
	if _, err := runUser(t, cliPassword+"\n", "add", "sari", "-role", "agent", "-data", dir); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		stdin string
		args  []string
		want  string
	}{
		"upper case":       {cliPassword, []string{"add", "Sari", "-role", "agent"}, "user name"},
		"space":            {cliPassword, []string{"add", "a b", "-role", "agent"}, "user name"},
		"path":             {cliPassword, []string{"add", "../etc", "-role", "agent"}, "user name"},
		"markup":           {cliPassword, []string{"add", "<script>", "-role", "agent"}, "user name"},
		"control":          {cliPassword, []string{"add", "a\x1b[31m", "-role", "agent"}, "user name"},
		"too long":         {cliPassword, []string{"add", strings.Repeat("a", 33), "-role", "agent"}, "longer than 32"},
		"leading dot":      {cliPassword, []string{"add", ".hidden", "-role", "agent"}, "user name"},
		"no role":          {cliPassword, []string{"add", "dewi"}, "-role is required"},
		"bad role":         {cliPassword, []string{"add", "dewi", "-role", "root"}, `role "root"`},
		"short password":   {"short\n", []string{"add", "dewi", "-role", "agent"}, "at least 12"},
		"empty password":   {"", []string{"add", "dewi", "-role", "agent"}, "empty"},
		"name as password": {"dewi-dewi-dewi\n", []string{"add", "dewi-dewi-dewi", "-role", "agent"}, "user name"},
		"duplicate":        {cliPassword, []string{"add", "sari", "-role", "lead"}, "already exists"},
		"passwd unknown":   {cliPassword, []string{"passwd", "ghost"}, "no such user"},
		"role unknown":     {"", []string{"role", "ghost", "lead"}, "no such user"},
		"remove unknown":   {"", []string{"remove", "ghost"}, "no such user"},
		"extra argument":   {"", []string{"remove", "sari", "budi"}, "usage"},
		"unknown command":  {"", []string{"delete", "sari"}, "unknown command"},
		"missing pw file":  {"", []string{"add", "dewi", "-role", "agent", "-password-file", "/nonexistent/pw"}, "password file"},
	}
	before, _ := os.ReadFile(filepath.Join(dir, accounts.FileName))
	for name, tc := range tests {
		args := append(tc.args, "-data", dir)
		_, err := runUser(t, tc.stdin, args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, tc.want)
		}
	}
	after, _ := os.ReadFile(filepath.Join(dir, accounts.FileName))
	if !bytes.Equal(before, after) {
		t.Error("a refused command changed the users file")
	}
	if _, err := runUser(t, "", "list", "-config", filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "-data") {
		t.Errorf("missing config: %v", err)
	}
	if _, err := runUser(t, ""); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("no subcommand: %v", err)
	}
}

// A users file broken by hand is reported with what is wrong, and the CLI
// does not overwrite it.
func TestUserCommandsReportBrokenFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, accounts.FileName)
	os.WriteFile(path, []byte(`{"version":1,"id":"abc","users":[{"name":"x","role":"god","hash":"h","stamp":"0123456789abcdef"}]}`), 0o600)
	_, err := runUser(t, "", "role", "x", "agent", "-data", dir)
	if err == nil || !strings.Contains(err.Error(), "users[0]") {
		t.Errorf("broken file: %v", err)
	}
	if _, err := runUser(t, "", "list", "-data", dir); err == nil || !strings.Contains(err.Error(), users0(path)) {
		t.Errorf("list of a broken file: %v", err)
	}
}

func users0(path string) string { return "users file " + path }
