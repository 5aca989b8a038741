package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/term"

	"github.com/pantau/pantau/ui/accounts"
)

const userUsage = `Manage the dashboard's accounts (works while the daemon runs: it reloads
the users file within seconds, or at once on SIGHUP).

Usage:
  pantau user add NAME -role ROLE [-password-file F]
  pantau user list
  pantau user passwd NAME [-password-file F]
  pantau user role NAME ROLE
  pantau user remove NAME

Every command takes -config FILE (default pantau.yaml) to find data_dir, or
-data DIR to name the data directory itself. Roles: agent, lead, marketing,
admin. Passwords need at least 12 characters; they are read from the
terminal without echo, from one line of standard input when it is not a
terminal, or from -password-file. Changing a password or a role, or
removing a user, ends their sessions.
`

// cmdUser runs `pantau user ...`.
func cmdUser(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		fmt.Fprint(stderr, userUsage)
		return flag.ErrHelp
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, userUsage) }
	configPath := fs.String("config", "pantau.yaml", "config file, to find data_dir")
	dataDir := fs.String("data", "", "data directory (instead of reading it from -config)")
	role := fs.String("role", "", "role: agent, lead, marketing or admin")
	passwordFile := fs.String("password-file", "", "read the password from this file")
	pos, err := parseInterleaved(fs, rest)
	if err != nil {
		return err
	}
	dir := *dataDir
	if dir == "" {
		if dir, err = dataDirOf(*configPath); err != nil {
			return err
		}
	}
	u := userCmd{
		path:  filepath.Join(dir, accounts.FileName),
		stdin: stdin, stdout: stdout, stderr: stderr,
		by:  operator(),
		now: time.Now,
	}
	want := func(n int, shape string) error {
		if len(pos) != n {
			return fmt.Errorf("user %s: usage: pantau user %s", sub, shape)
		}
		return nil
	}
	switch sub {
	case "add":
		if err := want(1, "add NAME -role ROLE [-password-file F]"); err != nil {
			return err
		}
		if *role == "" {
			return errors.New("user add: -role is required (agent, lead, marketing or admin)")
		}
		return u.add(pos[0], *role, *passwordFile)
	case "list":
		if err := want(0, "list"); err != nil {
			return err
		}
		return u.list()
	case "passwd":
		if err := want(1, "passwd NAME [-password-file F]"); err != nil {
			return err
		}
		return u.passwd(pos[0], *passwordFile)
	case "role":
		if err := want(2, "role NAME ROLE"); err != nil {
			return err
		}
		return u.setRole(pos[0], pos[1])
	case "remove":
		if err := want(1, "remove NAME"); err != nil {
			return err
		}
		return u.remove(pos[0])
	default:
		fmt.Fprint(stderr, userUsage)
		return fmt.Errorf("user: unknown command %q", sub)
	}
}

// parseInterleaved parses flags that may come before, between or after
// the positional arguments ("add NAME -role agent").
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// dataDirOf reads only data_dir from a config file: managing accounts must
// not need the sources' secrets in the environment.
func dataDirOf(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("config: %w (or give -data DIR)", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return "", fmt.Errorf("config %s: %w", path, err)
	}
	if len(data) > maxConfigBytes {
		return "", fmt.Errorf("config %s: larger than %d bytes", path, maxConfigBytes)
	}
	var c struct {
		DataDir string `yaml:"data_dir"`
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		return "", fmt.Errorf("config %s: %s", path, yamlErrorText(path, err))
	}
	if c.DataDir == "" {
		return defaultDataDir, nil
	}
	return c.DataDir, nil
}

// operator names who ran the CLI, for the audit log.
func operator() string {
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "" {
		name = os.Getenv("USER")
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if name == "" {
		return "unknown"
	}
	return clipRunes(name, 64)
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

type userCmd struct {
	path           string
	stdin          io.Reader
	stdout, stderr io.Writer
	by             string
	now            func() time.Time
}

func (u userCmd) add(name, roleName, passwordFile string) error {
	if err := accounts.ValidName(name); err != nil {
		return err
	}
	role, err := accounts.ParseRole(roleName)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(u.path), 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	// Check before asking for a password nobody will use.
	if f, _, err := accounts.Read(u.path); err == nil {
		if _, ok := f.Lookup(name); ok {
			return fmt.Errorf("user %q already exists (use passwd or role to change it)", name)
		}
	}
	hash, err := u.newPasswordHash(name, passwordFile)
	if err != nil {
		return err
	}
	if err := accounts.Update(u.path, func(f *accounts.File) error {
		return f.AddUser(name, role, hash, u.by, u.now())
	}); err != nil {
		return err
	}
	fmt.Fprintf(u.stdout, "added %s (%s)\n", name, role)
	return nil
}

func (u userCmd) list() error {
	f, found, err := accounts.Read(u.path)
	if err != nil {
		return err
	}
	if !found || len(f.Users) == 0 {
		fmt.Fprintf(u.stdout, "no users yet in %s: add one with pantau user add NAME -role admin\n", u.path)
		return nil
	}
	tw := tabwriter.NewWriter(u.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tCREATED\tCHANGED")
	for _, x := range f.Users {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", x.Name, x.Role, x.Created.UTC().Format(time.DateTime), x.Updated.UTC().Format(time.DateTime))
	}
	return tw.Flush()
}

func (u userCmd) passwd(name, passwordFile string) error {
	f, _, err := accounts.Read(u.path)
	if err != nil {
		return err
	}
	if _, ok := f.Lookup(name); !ok {
		return fmt.Errorf("user %q: %w", name, accounts.ErrNoUser)
	}
	hash, err := u.newPasswordHash(name, passwordFile)
	if err != nil {
		return err
	}
	if err := accounts.Update(u.path, func(f *accounts.File) error {
		return f.SetPassword(name, hash, u.by, u.now())
	}); err != nil {
		return err
	}
	fmt.Fprintf(u.stdout, "password of %s changed; their sessions end\n", name)
	return nil
}

func (u userCmd) setRole(name, roleName string) error {
	role, err := accounts.ParseRole(roleName)
	if err != nil {
		return err
	}
	if err := accounts.Update(u.path, func(f *accounts.File) error {
		return f.SetRole(name, role, u.by, u.now())
	}); err != nil {
		return err
	}
	fmt.Fprintf(u.stdout, "%s is now %s; their sessions end\n", name, role)
	return nil
}

func (u userCmd) remove(name string) error {
	if err := accounts.Update(u.path, func(f *accounts.File) error {
		return f.RemoveUser(name, u.by, u.now())
	}); err != nil {
		return err
	}
	fmt.Fprintf(u.stdout, "removed %s; their sessions end\n", name)
	return nil
}

// maxPasswordInput bounds what is read as a password from a file or
// standard input.
const maxPasswordInput = 4 << 10

// newPasswordHash reads a new password (file, terminal twice without
// echo, or one line of standard input), checks it and hashes it.
func (u userCmd) newPasswordHash(name, passwordFile string) (string, error) {
	pw, err := u.readPassword(name, passwordFile)
	if err != nil {
		return "", err
	}
	if err := accounts.ValidPassword(pw); err != nil {
		return "", err
	}
	if strings.EqualFold(pw, name) {
		return "", errors.New("password: must not be the user name")
	}
	return accounts.HashPassword(pw)
}

func (u userCmd) readPassword(name, passwordFile string) (string, error) {
	if passwordFile != "" {
		f, err := os.Open(passwordFile)
		if err != nil {
			return "", fmt.Errorf("password file: %w", err)
		}
		defer f.Close()
		if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
			return "", fmt.Errorf("password file %s: not a regular file", passwordFile)
		}
		return readPasswordLine(f, "password file "+passwordFile)
	}
	if f, ok := u.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(u.stderr, "New password for %s: ", name)
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(u.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprintf(u.stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(u.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if !bytes.Equal(a, b) {
			return "", errors.New("the passwords differ")
		}
		return string(a), nil
	}
	return readPasswordLine(u.stdin, "standard input")
}

// readPasswordLine reads the first line of r, without its line ending.
func readPasswordLine(r io.Reader, what string) (string, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, maxPasswordInput+1), 512)
	line, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from %s: %w", what, err)
	}
	if len(line) > maxPasswordInput {
		return "", fmt.Errorf("password from %s: longer than %d bytes", what, maxPasswordInput)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("password from %s: empty", what)
	}
	return line, nil
}
