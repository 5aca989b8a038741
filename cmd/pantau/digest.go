package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pantau/pantau/alerting/digest"
	"github.com/pantau/pantau/alerting/notify"
	"github.com/pantau/pantau/store"
)

// runDigests makes the config's digests on their schedules until ctx is
// done, putting them in the outbox the dispatcher delivers; wake is the
// dispatcher's, so a queued digest goes out at once. It runs with the
// dispatcher, so a reload restarts it with the new config (the outbox
// keeps it from sending a digest twice).
func runDigests(ctx context.Context, cfg *Config, st *store.Store, wake func(...string), logger *slog.Logger) {
	// The config was validated when loaded: this cannot fail, but say so
	// if it ever does rather than go quiet.
	jobs, err := cfg.Digests.Build("digests", cfg.Receivers, cfg.Scoring.Timezone)
	if err != nil {
		logger.Error("digests not running", "err", err)
		return
	}
	r := digest.NewRunner(jobs, digest.StoreSource{Store: st}, st, logger, digest.RunnerOptions{
		Wake:    wake,
		Render:  digest.RenderOptions{PublicURL: cfg.HTTP.PublicURL},
		Exclude: brandWords(cfg),
	})
	logIfFailed(logger, "digests", r.Run(ctx))
}

// brandWords are the brands' names and search terms: every mention has
// them, so they are no complaint topic.
func brandWords(cfg *Config) []string {
	var out []string
	for _, b := range cfg.Brands {
		out = append(out, b.Name)
		out = append(out, b.Terms...)
	}
	return out
}

// cmdDigest renders a digest from the configured store without sending
// it: the e-mail (.eml, with the chart inline), the chart (.png) and the
// Slack payload (.slack.json), for previews. Without -out it prints the
// plain text.
func cmdDigest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("digest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "pantau.yaml", "config file")
	kindFlag := fs.String("period", "daily", "daily or weekly")
	atFlag := fs.String("at", "", "when the digest is made, RFC 3339 (default: now); it reports on the day or week before")
	out := fs.String("out", "", "write FILE.eml, FILE.png and FILE.slack.json (a .eml suffix is dropped)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	kind, err := digest.ParseKind(*kindFlag)
	if err != nil {
		return fmt.Errorf("digest: -period: %w", err)
	}
	at := time.Now()
	if *atFlag != "" {
		if at, err = time.Parse(time.RFC3339, *atFlag); err != nil {
			return fmt.Errorf("digest: -at: %q is not an RFC 3339 time such as 2026-11-23T08:00:00+07:00", *atFlag)
		}
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	jobs, err := cfg.Digests.Build("digests", cfg.Receivers, cfg.Scoring.Timezone)
	if err != nil {
		return err
	}
	loc := time.UTC
	if tz := cmp.Or(cfg.Digests.Timezone, cfg.Scoring.Timezone); tz != "" {
		if loc, err = time.LoadLocation(tz); err != nil {
			return err
		}
	}
	var brands []string
	for _, j := range jobs {
		if j.Kind == kind && len(j.Receivers) == 1 {
			brands = j.Receivers[0].Brands
		}
	}
	// Read-only use of a store the daemon may hold: wait briefly for its
	// lock rather than hang.
	st, err := store.Open(filepath.Join(cfg.DataDir, storeFileName), store.Options{LockTimeout: 10 * time.Second})
	if err != nil {
		return fmt.Errorf("digest: %w (is pantau run using it? stop it or copy the store with a backup)", err)
	}
	defer st.Close()
	rep, err := digest.Compute(ctx, digest.StoreSource{Store: st}, digest.Params{Kind: kind, At: at, Loc: loc, Brands: brands, Exclude: brandWords(cfg)})
	if err != nil {
		return err
	}
	r, err := digest.Render(rep, digest.RenderOptions{PublicURL: cfg.HTTP.PublicURL})
	if err != nil {
		return err
	}
	if *out == "" {
		_, err := io.WriteString(stdout, r.Message.Digest.Text)
		return err
	}
	eml, err := previewEmail(cfg, r.Message)
	if err != nil {
		return err
	}
	base := strings.TrimSuffix(*out, ".eml")
	files := []struct {
		name string
		data []byte
	}{{base + ".eml", eml}, {base + ".png", r.Chart}, {base + ".slack.json", r.Message.Digest.Slack}}
	for _, f := range files {
		if err := os.WriteFile(f.name, f.data, 0o600); err != nil {
			return fmt.Errorf("digest: %w", err)
		}
		fmt.Fprintln(stdout, "wrote", f.name)
	}
	return nil
}

// previewEmail composes the message as the first e-mail receiver that
// takes digests would send it, or with placeholder addresses when none
// does.
func previewEmail(cfg *Config, m notify.Message) ([]byte, error) {
	rc := notify.ReceiverConfig{Name: "preview", Kind: notify.KindEmail, Actions: []notify.Action{notify.Digest},
		Email: &notify.EmailConfig{Host: "localhost", From: "Pantau <pantau@localhost>", To: []string{"marketing@localhost"}}}
	for _, r := range cfg.Receivers {
		if r.Kind == notify.KindEmail && r.Email != nil && slices.Contains(r.Actions, notify.Digest) {
			rc = r
			break
		}
	}
	rs, err := notify.Build([]notify.ReceiverConfig{rc}, notify.Deps{})
	if err != nil {
		return nil, err
	}
	e, ok := rs[0].Notifier.(*notify.Email)
	if !ok {
		return nil, errors.New("digest: preview needs an e-mail receiver")
	}
	return e.Compose(m)
}
