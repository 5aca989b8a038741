package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pantau/pantau/collectors/fakesource"
)

//go:embed demo.yaml
var demoConfig string

// cmdDemo runs the real daemon on its embedded default: the demo config,
// pointed at fake platforms served over real HTTP (and websockets) on
// loopback. Nothing about the daemon's own path differs from `pantau run`.
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "dashboard address (a busy port falls back to a free one)")
	dataDir := fs.String("data", "", "data directory (default: a fresh temporary one, removed on exit)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dataDir == "" {
		dir, err := os.MkdirTemp("", "pantau-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		*dataDir = dir
	} else if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		return fmt.Errorf("demo: data directory: %w", err)
	}

	fakes, err := startDemoPlatforms(*dataDir, time.Now)
	if err != nil {
		return err
	}
	defer fakes.close()

	addr := *listen
	if ln, err := net.Listen("tcp", addr); err != nil {
		addr = "127.0.0.1:0"
	} else {
		ln.Close()
	}
	fakes.vars["{{LISTEN}}"] = addr
	fakes.vars["{{DATA}}"] = *dataDir
	cfg, err := parseConfig("demo.yaml (embedded)", []byte(fakes.fill(demoConfig)))
	if err != nil {
		return err
	}
	return serve(ctx, cfg, serveOptions{Stdout: stdout, Stderr: stderr, Ready: func(dash string) {
		fmt.Fprintf(stdout, "\nPantau demo is running. Open the dashboard: %s\n", dash)
		fmt.Fprintf(stdout, "Fake platforms on loopback: %s\n", strings.Join(fakes.names, ", "))
		fmt.Fprintf(stdout, "Press Ctrl-C to stop.\n\n")
	}})
}

// demoPlatforms are the fake platforms the demo polls, each on its own
// loopback port (the fakes build their URLs from the request's host, as the
// real platforms do).
type demoPlatforms struct {
	servers []*http.Server
	names   []string
	// vars fill the demo config's {{PLACEHOLDERS}}.
	vars map[string]string
}

func (d *demoPlatforms) fill(text string) string {
	keys := make([]string, 0, len(d.vars))
	for k := range d.vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var pairs []string
	for _, k := range keys {
		pairs = append(pairs, k, d.vars[k])
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

func (d *demoPlatforms) close() {
	for _, s := range d.servers {
		s.Close()
	}
}

// serve starts h on a free loopback port and returns its base URL.
func (d *demoPlatforms) serve(name string, h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("demo %s: %w", name, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	d.servers = append(d.servers, srv)
	d.names = append(d.names, name)
	return "http://" + ln.Addr().String(), nil
}

// startDemoPlatforms starts every fake platform of the demo scenario and
// writes the credentials the demo config reads from files (an App Store
// Connect key, a Google service account) into dir.
func startDemoPlatforms(dir string, now func() time.Time) (d *demoPlatforms, err error) {
	// The servers started so far are closed on failure through p: the
	// named result d is nil by then.
	p := &demoPlatforms{vars: map[string]string{}}
	d = p
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	urls := map[string]string{}
	add := func(name, placeholder string, h http.Handler) {
		if err != nil {
			return
		}
		urls[placeholder], err = d.serve(name, h)
	}
	add("feeds (RSS, Atom, JSON Feed, Google Alerts)", "FEEDS", fakesource.Mux(fakesource.Demo(now)))
	add("Mastodon", "MASTODON", fakesource.MastodonDemo(now))
	bsky := fakesource.BlueskyDemo(now)
	bsky.Identifier, bsky.Password = "pantau-demo.bsky.social", "demo-app-password"
	add("Bluesky (Jetstream, AppView, PDS)", "BLUESKY", bsky)
	add("Reddit", "REDDIT", fakesource.RedditDemo(now))
	add("Hacker News (Algolia)", "HN", fakesource.HackerNewsDemo(now))
	add("Discourse", "DISCOURSE", fakesource.DiscourseDemo(now))
	add("GitHub", "GITHUB", fakesource.GitHubDemo(now))
	apps := fakesource.AppStoreDemo(now)
	add("App Store (reviews feed, App Store Connect)", "APPSTORE", apps)
	play := fakesource.GooglePlayDemo(now)
	add("Google Play (Android Publisher API)", "PLAY", play)
	add("YouTube (feeds, Data API)", "YOUTUBE", fakesource.YouTubeDemo(now))
	add("team chat and pager (webhook receiver)", "RECEIVER", &demoReceiver{})
	if err != nil {
		return nil, err
	}
	for k, v := range urls {
		d.vars["{{"+k+"}}"] = v
	}
	d.vars["{{BLUESKY_WS}}"] = "ws" + strings.TrimPrefix(urls["BLUESKY"], "http") + "/subscribe"

	// Credentials the demo reads from files, as a real deployment would.
	issuer, keyID, p8, err := apps.NewConnectKey()
	if err != nil {
		return nil, fmt.Errorf("demo app store key: %w", err)
	}
	saKey, err := play.ServiceAccountKey(urls["PLAY"] + "/token")
	if err != nil {
		return nil, fmt.Errorf("demo play key: %w", err)
	}
	files := map[string][]byte{
		"appstore-key.p8":   p8,
		"play-account.json": saKey,
		"youtube-api-key":   []byte(fakesource.DemoYouTubeAPIKey),
		"bluesky-password":  []byte(bsky.Password),
		"webhook-secret":    []byte(demoWebhookSecret),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, errors.Join(fmt.Errorf("demo credentials: %w", err))
		}
	}
	d.vars["{{APPSTORE_ISSUER}}"], d.vars["{{APPSTORE_KEY_ID}}"] = issuer, keyID
	return d, nil
}
