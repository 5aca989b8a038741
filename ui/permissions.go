package ui

import (
	"regexp"
	"strings"

	"github.com/pantau/pantau/ui/accounts"
)

// The permission table: which roles may use each route, keyed by the
// route's ServeMux pattern ("METHOD /path/{wildcard}"). Authorization
// looks up the pattern the request actually matched, so the table and the
// routes cannot drift apart by a regular expression; wildcard names do not
// matter ({id} and {key...} both read as {}).
//
// DEFAULT DENY: an /api/ route (or /ws) missing from this table answers
// 403 to everyone, admin included. Whoever adds a route adds its line here.
var permissions = map[string]access{
	// Not logged in.
	"POST /api/login":  public,
	"GET /healthz":     public,
	"GET /{$}":         public, // the page shows the login screen itself
	"GET /assets/{}":   public,
	"GET /api/me":      anyUser,
	"POST /api/logout": anyUser,
	// Unknown /api/ paths answer 404 (after login), not 403.
	"ANY /api/": anyUser,

	// The agents' live queue.
	"GET /api/mentions":     agents,
	"GET /api/mentions/{}":  agents,
	"GET /api/queue":        agents,
	"GET /api/alerts":       agents,
	"GET /api/alerts/{}":    agents,
	"GET /api/sources":      agents,
	"GET /api/events":       agents,
	"GET /api/reply-report": agents,
	"GET /api/oncall":       agents,
	"GET /api/silences":     agents,
	"GET /ws":               agents,
	"POST /api/handling/{}": agents,

	// The on-call leads.
	"POST /api/alerts/{}/ack":      leads,
	"POST /api/alerts/{}/resolve":  leads,
	"POST /api/alerts/{}/snooze":   leads,
	"POST /api/alerts/{}/escalate": leads,
	"POST /api/silences":           leads,
	"POST /api/silences/{}":        leads,
	"DELETE /api/silences/{}":      leads,
	"POST /api/reveal/{}":          leads,
	"GET /api/audit":               leads,

	// Reputation history: marketing, and the leads.
	"GET /api/history":        history,
	"GET /api/history/{}":     history,
	"GET /api/history/export": history,

	// Admin only.
	"GET /api/config": admins,
}

// access says who may use a route. Admin may use every route that is in
// the table.
type access struct {
	public bool // no login needed
	roles  map[accounts.Role]bool
}

var (
	public  = access{public: true}
	anyUser = roles(accounts.RoleAgent, accounts.RoleLead, accounts.RoleMarketing)
	agents  = roles(accounts.RoleAgent, accounts.RoleLead)
	leads   = roles(accounts.RoleLead)
	history = roles(accounts.RoleLead, accounts.RoleMarketing)
	admins  = roles()
)

func roles(rs ...accounts.Role) access {
	a := access{roles: map[accounts.Role]bool{accounts.RoleAdmin: true}}
	for _, r := range rs {
		a.roles[r] = true
	}
	return a
}

func (a access) allows(r accounts.Role) bool { return a.public || a.roles[r] }

var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// ruleKey normalises a ServeMux pattern into the table's form: the
// method (ANY when the pattern has none) and the path with every wildcard
// written {} ({$} is kept: it means "exactly this path"). A host in a
// pattern is not used by this server.
func ruleKey(pattern string) string {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "ANY", pattern
	}
	return method + " " + wildcard.ReplaceAllStringFunc(strings.TrimSpace(path), func(w string) string {
		if w == "{$}" {
			return w
		}
		return "{}"
	})
}

// lookupRule finds the access rule for the pattern a request matched.
func lookupRule(pattern string) (access, bool) {
	a, ok := permissions[ruleKey(pattern)]
	return a, ok
}

// protectedPath reports whether path is under default deny: the API and
// the live stream.
func protectedPath(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/api" || path == "/ws"
}
