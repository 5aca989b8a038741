package main

import (
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"

	"go.yaml.in/yaml/v3"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
	"github.com/pantau/pantau/ui"
	"github.com/pantau/pantau/ui/accounts"
)

// accountOptions wires the dashboard's accounts, the agents' mention
// actions and the admins' config view into the server's options.
func accountOptions(cfg *atomic.Pointer[Config], pipe *currentPipeline, logger *slog.Logger) []ui.Option {
	c := cfg.Load()
	opts := []ui.Option{
		ui.WithHandlingActions(pipe),
		ui.WithConfigView(func() any { return redactedConfig(cfg.Load(), logger) }),
	}
	if c.HTTP.AuthMode() == ui.AuthLogin {
		opts = append(opts, ui.WithAccounts(accounts.NewDirectory(filepath.Join(c.DataDir, accounts.FileName))))
	}
	return opts
}

// SetHandling hands an agent's mention action to the running pipeline.
func (c *currentPipeline) SetHandling(key string, state store.ReplyState, assignee string, assign bool, by string) (store.Mention, error) {
	return c.Load().SetHandling(key, state, assignee, assign, by)
}

// redactedConfig is the effective config as the admins' settings page
// shows it: marshalled through YAML, where every secret.Secret prints as
// "<secret>", then scrubbed again by key name and for URLs with
// credentials in them, in case some section keeps a secret in a plain
// string. The result is plain maps and lists, ready for JSON.
func redactedConfig(c *Config, logger *slog.Logger) any {
	data, err := yaml.Marshal(c)
	if err != nil {
		logger.Error("config view: marshal", "err", err)
		return map[string]string{"error": "the config could not be shown"}
	}
	var tree any
	if err := yaml.Unmarshal(data, &tree); err != nil {
		logger.Error("config view: re-read", "err", err)
		return map[string]string{"error": "the config could not be shown"}
	}
	return scrub("", tree)
}

// secretWords are key-name parts that mark a value as a secret. Keys
// ending in _file name a file, which is not itself secret.
var secretWords = []string{"password", "secret", "token", "api_key", "private_key", "routing_key", "service_account_key", "app_password", "key"}

func secretKey(k string) bool {
	k = strings.ToLower(k)
	if strings.HasSuffix(k, "_file") || k == "key_id" {
		return false
	}
	for _, w := range secretWords {
		if k == w || strings.HasSuffix(k, "_"+w) || strings.HasPrefix(k, w+"_") {
			return true
		}
	}
	return false
}

func scrub(key string, v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = scrub(k, x)
		}
		return t
	case []any:
		for i, x := range t {
			t[i] = scrub(key, x)
		}
		return t
	case string:
		if t != "" && secretKey(key) {
			return secret.Redacted
		}
		return scrubURL(t)
	}
	return v
}

// scrubURL hides the credentials and the query of a URL (tokens often
// ride there, as in a Google Alerts feed or a webhook with ?key=).
func scrubURL(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return s
	}
	changed := false
	if u.User != nil {
		u.User = url.User(secret.Redacted)
		changed = true
	}
	if u.RawQuery != "" {
		u.RawQuery = "" + secret.Redacted
		changed = true
	}
	if !changed {
		return s
	}
	return u.String()
}

// loadAccounts reads the users file before the dashboard serves: a users
// file that does not read stops the start, as a bad config does.
func loadAccounts(srv *ui.Server, cfg *Config, logger *slog.Logger) error {
	if cfg.HTTP.AuthMode() != ui.AuthLogin {
		logger.Warn("dashboard without login (http.auth: none): loopback only, everyone acts as admin")
		return nil
	}
	if err := srv.ReloadUsers(true); err != nil {
		return err
	}
	if n := srv.UserCount(); n == 0 {
		logger.Warn("no dashboard users yet: add one with `pantau user add NAME -role admin -config FILE`",
			"users_file", filepath.Join(cfg.DataDir, accounts.FileName))
	}
	return nil
}

// auditAckLink records an acknowledgement made with a notification's signed
// link: it bypasses the dashboard (and so its audit middleware), but it is
// a person's change all the same.
func auditAckLink(st *store.Store, logger *slog.Logger, id, by string, err error) {
	if err != nil {
		return
	}
	e := store.AuditEntry{User: by, Action: "alert.acknowledge", Target: id, Detail: "with a notification's acknowledge link"}
	if _, err := st.Audit(e); err != nil {
		logger.Error("audit acknowledge link", "err", err)
	}
}
