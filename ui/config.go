// Package ui serves Pantau's dashboard: a JSON API over the store, a
// websocket hub that streams the store's events live, and the static
// dashboard itself, embedded in the binary.
//
// With http.auth: login every API request needs a session (see auth.go and
// permissions.go). With auth: none the server only binds to loopback
// addresses; in both modes it only answers requests whose Host is loopback
// or configured, so a web page using DNS rebinding cannot reach the data.
package ui

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultListen is the address the dashboard listens on when none is
// configured.
const DefaultListen = "127.0.0.1:8080"

// Config is the http section of Pantau's configuration.
type Config struct {
	// Listen is host:port to bind to; empty means DefaultListen. It must be
	// a loopback address with auth: none.
	Listen string `yaml:"listen"`
	// PublicURL is the address people open, when it differs from Listen
	// (for example behind a reverse proxy or an SSH tunnel with a name). Its
	// host is accepted in the Host header and its origin for websockets and
	// form posts.
	PublicURL string `yaml:"public_url"`
	// AllowedOrigins are further browser origins ("https://ops.example.com")
	// that may open the websocket and post actions.
	AllowedOrigins []string `yaml:"allowed_origins"`
	// Auth is "login" (users log in; required off loopback) or "none"
	// (loopback only: the demo). See AuthMode for the empty value.
	Auth string `yaml:"auth"`
	// InsecureCookie drops the session cookie's Secure flag, for a
	// dashboard served over plain http to other machines (the cookie then
	// crosses the network in clear: anyone who sees it can act as the user).
	InsecureCookie bool `yaml:"insecure_cookie"`
	// SessionIdle ends a session unused this long (default 2h); SessionMax
	// ends any session this long after login (default 12h: one shift).
	SessionIdle time.Duration `yaml:"session_idle"`
	SessionMax  time.Duration `yaml:"session_max"`
}

// ListenAddr is the address to bind to, with the default applied.
func (c Config) ListenAddr() string {
	if c.Listen == "" {
		return DefaultListen
	}
	return c.Listen
}

// Equal reports whether c and o configure the same server (Config holds a
// slice, so == does not compile), for example to warn on a reload that
// changes what only a restart applies.
func (c Config) Equal(o Config) bool {
	return c.ListenAddr() == o.ListenAddr() && c.PublicURL == o.PublicURL &&
		slices.Equal(c.AllowedOrigins, o.AllowedOrigins) &&
		c.Auth == o.Auth && c.InsecureCookie == o.InsecureCookie && c.SessionIdle == o.SessionIdle && c.SessionMax == o.SessionMax
}

// Validate checks the section and returns every problem found, each message
// starting with the YAML path of the field (path is the section's own path,
// such as "http").
func (c Config) Validate(path string) error {
	field := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	var errs []error
	errs = append(errs, c.validateAuth(field)...)
	if err := validateListen(c.ListenAddr(), c.AuthMode() == AuthLogin); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", field("listen"), err))
	}
	if c.PublicURL != "" {
		if _, err := parseOrigin(c.PublicURL, true); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", field("public_url"), err))
		}
	}
	for i, o := range c.AllowedOrigins {
		if _, err := parseOrigin(o, false); err != nil {
			errs = append(errs, fmt.Errorf("%s[%d]: %w", field("allowed_origins"), i, err))
		}
	}
	return errors.Join(errs...)
}

func validateListen(addr string, login bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port: %w", addr, err)
	}
	// Port 0 asks the system for any free port (tests, the demo's fallback).
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%q: port must be a number from 0 to 65535", addr)
	}
	if !login && !isLoopbackHost(host) {
		return fmt.Errorf("%q: no authentication (auth: none): bind to a loopback address (127.0.0.1, [::1] or localhost), or set http.auth: login", addr)
	}
	return nil
}

// isLoopbackHost reports whether host (without port) names this machine's
// loopback interface. An empty host means every interface, so it is not.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parseOrigin checks that s is an http(s) origin and returns it normalised
// as scheme://host[:port] in lower case. A public URL may carry a path (the
// dashboard behind a proxy prefix); an origin may not.
func parseOrigin(s string, allowPath bool) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%q: scheme must be http or https", s)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("%q: no host", s)
	}
	if u.User != nil {
		return "", fmt.Errorf("%q: must not contain user info", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q: must not have a query or fragment", s)
	}
	if !allowPath && u.Path != "" && u.Path != "/" {
		return "", fmt.Errorf("%q: an origin has no path", s)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// AuthMode is the effective http.auth: "login" or "none". An empty Auth
// reads as none, so a Config built in code (tests, tools) keeps the
// loopback-only dashboard; the daemon's config defaults it to login.
func (c Config) AuthMode() string {
	if c.Auth == AuthLogin {
		return AuthLogin
	}
	return AuthNone
}

func (c Config) sessionIdle() time.Duration {
	if c.SessionIdle > 0 {
		return c.SessionIdle
	}
	return DefaultSessionIdle
}

func (c Config) sessionMax() time.Duration {
	if c.SessionMax > 0 {
		return c.SessionMax
	}
	return DefaultSessionMax
}

// validateAuth checks the account settings.
func (c Config) validateAuth(field func(string) string) []error {
	var errs []error
	switch c.Auth {
	case "", AuthLogin, AuthNone:
	default:
		errs = append(errs, fmt.Errorf("%s: %q is not login or none", field("auth"), c.Auth))
	}
	if c.SessionIdle < 0 || (c.SessionIdle > 0 && c.SessionIdle < time.Minute) {
		errs = append(errs, fmt.Errorf("%s: must be at least 1m", field("session_idle")))
	}
	if c.SessionMax < 0 || (c.SessionMax > 0 && c.SessionMax < time.Minute) {
		errs = append(errs, fmt.Errorf("%s: must be at least 1m", field("session_max")))
	}
	if c.SessionIdle > 0 && c.SessionMax > 0 && c.SessionIdle > c.SessionMax {
		errs = append(errs, fmt.Errorf("%s: longer than session_max (%s)", field("session_idle"), c.sessionMax()))
	}
	if c.InsecureCookie && c.AuthMode() != AuthLogin {
		errs = append(errs, fmt.Errorf("%s: only means something with auth: login", field("insecure_cookie")))
	}
	return errs
}
