package notify

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

// TestNoSecretLeaks runs every notifier against fake receivers that fail
// in every way (echoing back everything they were sent: URL, headers,
// body), through the dispatcher as well as directly, and greps the
// errors, the stored outbox errors, the logs and the notifiers' printed
// forms for the secrets.
func TestNoSecretLeaks(t *testing.T) {
	echo := func(code int, extra http.Header) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			for k, v := range extra {
				w.Header()[k] = v
			}
			w.Header().Set("Location", "https://elsewhere.example"+r.RequestURI)
			w.WriteHeader(code)
			fmt.Fprintf(w, "you sent %s %s\nheaders: %v\nbody: %s\nunescaped path: %s", r.Method, r.RequestURI, r.Header, body, r.URL.Path)
		}
	}
	servers := map[string]*httptest.Server{
		"echo 400":      httptest.NewServer(echo(400, nil)),
		"echo 401":      httptest.NewServer(echo(401, nil)),
		"echo 404":      httptest.NewServer(echo(404, nil)),
		"echo 429":      httptest.NewServer(echo(429, http.Header{"Retry-After": {"5"}})),
		"echo 500":      httptest.NewServer(echo(500, nil)),
		"echo 503":      httptest.NewServer(echo(503, nil)),
		"redirect 302":  httptest.NewServer(echo(302, nil)),
		"redirect 307":  httptest.NewServer(echo(307, nil)),
		"untrusted tls": httptest.NewTLSServer(echo(200, nil)),
	}
	release := make(chan struct{})
	servers["hang"] = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	defer func() {
		close(release)
		for _, s := range servers {
			s.Close()
		}
	}()
	bases := map[string]string{"refused": closedURL}
	for name, s := range servers {
		bases[name] = s.URL
	}

	kinds := []struct {
		kind    string
		secrets []string
		cfg     func(base string) ReceiverConfig
	}{
		{KindSlack, []string{"T0SLACK123", "B0SLACK456", "slackTokenSecret0987654321"}, func(b string) ReceiverConfig {
			return ReceiverConfig{Name: "s", Kind: KindSlack, Slack: &SlackConfig{URL: secret.New(b + "/services/T0SLACK123/B0SLACK456/slackTokenSecret0987654321")}}
		}},
		{KindDiscord, []string{"112233445566", "discordTokenSecret_abcdefghijklmnop"}, func(b string) ReceiverConfig {
			return ReceiverConfig{Name: "d", Kind: KindDiscord, Discord: &DiscordConfig{URL: secret.New(b + "/api/webhooks/112233445566/discordTokenSecret_abcdefghijklmnop")}}
		}},
		{KindTeams, []string{"teamsWorkflow0123abc", "teamsSigSecret0123456789"}, func(b string) ReceiverConfig {
			return ReceiverConfig{Name: "t", Kind: KindTeams, Teams: &TeamsConfig{URL: secret.New(b + "/workflows/teamsWorkflow0123abc/triggers/manual/paths/invoke?api-version=1&sig=teamsSigSecret0123456789")}}
		}},
		{KindPagerDuty, []string{"pdRoutingKeySecret0123456789abcd"}, func(b string) ReceiverConfig {
			return ReceiverConfig{Name: "p", Kind: KindPagerDuty, PagerDuty: &PagerDutyConfig{RoutingKey: secret.New("pdRoutingKeySecret0123456789abcd"), URL: b + "/v2/enqueue"}}
		}},
		{KindWebhook, []string{"webhookUrlToken123456", "webhookHmacSecret-0123456789", "hookuser", "hookPassw0rd"}, func(b string) ReceiverConfig {
			u, _ := url.Parse(b)
			u.User = url.UserPassword("hookuser", "hookPassw0rd")
			return ReceiverConfig{Name: "w", Kind: KindWebhook, Webhook: &WebhookConfig{URL: secret.New(u.String() + "/hooks/pantau?token=webhookUrlToken123456"), Secret: secret.New("webhookHmacSecret-0123456789")}}
		}},
		{KindNtfy, []string{"ntfyTopicSecretX9", "tk_ntfyTokenSecret0123456"}, func(b string) ReceiverConfig {
			return ReceiverConfig{Name: "n", Kind: KindNtfy, Ntfy: &NtfyConfig{URL: secret.New(b + "/ntfyTopicSecretX9"), Token: secret.New("tk_ntfyTokenSecret0123456")}}
		}},
		{KindTelegram, []string{"987654321:telegramBotTokenSecretAAbbCC", "telegramBotTokenSecretAAbbCC"}, func(b string) ReceiverConfig {
			return ReceiverConfig{Name: "g", Kind: KindTelegram, Telegram: &TelegramConfig{Token: secret.New("987654321:telegramBotTokenSecretAAbbCC"), ChatID: "42", APIURL: b}}
		}},
	}

	c := newFakeClock()
	for _, k := range kinds {
		for mode, base := range bases {
			t.Run(k.kind+"/"+mode, func(t *testing.T) {
				cfg := k.cfg(base)
				var logs logBuffer
				rs, err := Build([]ReceiverConfig{cfg}, Deps{Now: c.Now})
				if err != nil {
					t.Fatal(err)
				}
				n := rs[0].Notifier
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				defer cancel()
				_, nerr := n.Notify(ctx, testMessage(c, Trigger))
				if nerr == nil {
					t.Fatalf("%s accepted", mode)
				}
				stored := deliverOnce(t, c, cfg.Name, n, newLogger(&logs))
				checkNoSecret(t, k.secrets, map[string]string{
					"error":        nerr.Error(),
					"stored error": stored,
					"log":          logs.String(),
					"%v":           fmt.Sprintf("%v %+v %#v %s", n, n, n, n),
					"config %+v":   fmt.Sprintf("%+v %+v", cfg, derefSection(cfg)),
				})
			})
		}
	}

	// E-mail: a server that echoes the credentials of a failed AUTH.
	t.Run("email/auth echo", func(t *testing.T) {
		cert, pool := testCert(t)
		srv := startSMTP(t, &cert, false)
		srv.authEcho = true
		cfg := emailConfig(srv.addr, func(e *EmailConfig) { e.Password = secret.New("smtpPasswordSecret-987") })
		n := build(t, cfg, Deps{Now: c.Now, TLSConfig: &tls.Config{RootCAs: pool}})
		_, nerr := n.Notify(context.Background(), testMessage(c, Trigger))
		if nerr == nil || !strings.Contains(nerr.Error(), "bad credentials") {
			t.Fatalf("want the server's (redacted) refusal, got %v", nerr)
		}
		var logs logBuffer
		stored := deliverOnce(t, c, "mail", n, newLogger(&logs))
		checkNoSecret(t, []string{"smtpPasswordSecret-987"}, map[string]string{
			"error": nerr.Error(), "stored error": stored, "log": logs.String(),
			"%v": fmt.Sprintf("%v %+v %#v", n, n, n), "config": fmt.Sprintf("%+v %+v", cfg, *cfg.Email),
		})
	})
}

// deliverOnce runs one dispatcher attempt of a trigger through a real
// store and returns the error stored with the item.
func deliverOnce(t *testing.T, c *fakeClock, name string, n Notifier, log *slog.Logger) string {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "p.db"), store.Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d := NewDispatcher(st, map[string]Notifier{name: n}, log, c.Now, DispatcherOptions{Renderer: testRenderer(c), AttemptTimeout: 300 * time.Millisecond})
	if err := d.Enqueue(testAlert(), []string{name}, Trigger); err != nil {
		t.Fatal(err)
	}
	items, _ := st.PendingOutbox(name, 1)
	d.deliver(context.Background(), name, n, items[0])
	it, _, _ := st.OutboxItemByID(items[0].ID)
	if it.LastError == "" || it.DeliveredAt != nil {
		t.Fatalf("after a failed attempt: %+v", it)
	}
	return it.LastError
}

func derefSection(c ReceiverConfig) any {
	for _, s := range []any{c.Slack, c.Discord, c.Teams, c.PagerDuty, c.Webhook, c.Email, c.Ntfy, c.Telegram} {
		switch v := s.(type) {
		case *SlackConfig:
			if v != nil {
				return *v
			}
		case *DiscordConfig:
			if v != nil {
				return *v
			}
		case *TeamsConfig:
			if v != nil {
				return *v
			}
		case *PagerDutyConfig:
			if v != nil {
				return *v
			}
		case *WebhookConfig:
			if v != nil {
				return *v
			}
		case *NtfyConfig:
			if v != nil {
				return *v
			}
		case *TelegramConfig:
			if v != nil {
				return *v
			}
		}
	}
	return nil
}

func checkNoSecret(t *testing.T, secrets []string, where map[string]string) {
	t.Helper()
	for place, text := range where {
		for _, s := range secrets {
			for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
				if strings.Contains(text, form) {
					t.Errorf("secret %q leaked in the %s:\n%s", s, place, text)
				}
			}
		}
	}
}
