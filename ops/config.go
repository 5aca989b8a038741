// Package ops serves what the people who run Pantau need and the
// dashboard's users do not: Prometheus metrics, liveness and readiness,
// and the hot backup stream, on a listener of its own that needs no
// dashboard login.
package ops

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Config is the ops section of pantau.yaml. An empty Listen turns the ops
// listener off; /healthz and /readyz stay on the dashboard's.
type Config struct {
	// Listen is a loopback host:port, such as 127.0.0.1:9090. /backup hands
	// out the whole store, personal data included, so it never binds to
	// another interface: scrape from the same host, or through a tunnel.
	Listen string `yaml:"listen"`
}

// Validate checks the section; path is its place in the file ("ops").
func (c Config) Validate(path string) error {
	if c.Listen == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return fmt.Errorf("%s.listen: %q is not host:port", path, c.Listen)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%s.listen: %q: port must be a number from 0 to 65535", path, c.Listen)
	}
	if !isLoopback(host) {
		return fmt.Errorf("%s.listen: %q: the ops listener serves backups of the whole store; bind it to a loopback address (127.0.0.1, [::1] or localhost)", path, c.Listen)
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
