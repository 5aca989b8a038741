package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/ui/accounts"
)

// markUsersFile is the audit mark that says which users-file changes are
// in the audit log: "<file id>:<last change seq>".
const markUsersFile = "users_file"

// purgeEvery is how often expired sessions are swept from the store
// (they are refused anyway; this only keeps the bucket small).
const purgeEvery = 10 * time.Minute

// ReloadUsers re-reads the users file if it changed (always with force).
// Sessions of removed users and of users whose password or role changed
// end, and the account changes the CLI recorded are copied into the audit
// log. A file that does not read keeps the previous accounts in force and
// is returned as the error. Without WithAccounts it does nothing.
func (s *Server) ReloadUsers(force bool) error {
	if s.directory == nil {
		return nil
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	_, after, changed, err := s.directory.Reload(force)
	if err != nil {
		return err
	}
	now := s.now()
	purge := now.Sub(s.lastPurge) >= purgeEvery
	if !changed && !purge {
		return nil
	}
	s.lastPurge = now
	n, err := s.st.DeleteSessions(func(sess store.Session) bool {
		u, ok := s.users.Lookup(sess.User)
		return !ok || u.Stamp != sess.Stamp ||
			now.Sub(sess.LastSeen) > s.cfg.sessionIdle() || now.Sub(sess.Created) > s.cfg.sessionMax()
	})
	if err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	if n > 0 {
		s.log.Info("sessions ended", "count", n)
	}
	if changed {
		s.log.Info("users file read", "users", len(after.Users))
		return s.auditUserChanges(after)
	}
	return nil
}

// auditUserChanges copies the CLI's changes not yet in the audit log,
// and the mark that says so, in one transaction.
func (s *Server) auditUserChanges(f *accounts.File) error {
	if f.ID == "" {
		return nil // no users file yet
	}
	mark, err := s.st.AuditMark(markUsersFile)
	if err != nil {
		return err
	}
	var last uint64
	if id, seq, ok := strings.Cut(mark, ":"); ok && id == f.ID {
		last, _ = strconv.ParseUint(seq, 10, 64)
	}
	var entries []store.AuditEntry
	for i, c := range f.Changes {
		if c.Seq <= last {
			continue
		}
		if i == 0 && c.Seq > last+1 {
			entries = append(entries, store.AuditEntry{At: c.At, User: "cli", Action: "user.changes_missed",
				Detail: fmt.Sprintf("%d account changes were dropped from the users file before the daemon read them", c.Seq-last-1)})
		}
		entries = append(entries, store.AuditEntry{At: c.At, User: "cli:" + c.By, Action: c.Action, Target: "user:" + c.Target, Detail: c.Detail})
	}
	if len(entries) == 0 && mark == fmt.Sprintf("%s:%d", f.ID, f.NextChange) {
		return nil
	}
	return s.st.AuditMarked(entries, markUsersFile, fmt.Sprintf("%s:%d", f.ID, f.NextChange))
}

// watchUsers re-reads the users file every usersEvery until ctx ends.
func (s *Server) watchUsers(ctx context.Context) {
	t := time.NewTicker(s.usersEvery)
	defer t.Stop()
	var failing bool
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			err := s.ReloadUsers(false)
			if err != nil && !failing {
				s.log.Error("users file: keeping the previous accounts", "err", err)
			}
			failing = err != nil
		}
	}
}

// UserCount is the number of accounts in force.
func (s *Server) UserCount() int {
	if s.directory == nil {
		return 0
	}
	return s.directory.Count()
}
