package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The dashboard's sessions and audit log. The users themselves live in a
// file next to the store (ui/accounts), because the CLI must change them
// while the daemon holds the store's lock.

var (
	bucketSessions    = []byte("sessions")     // sha256(token) -> Session JSON
	bucketAudit       = []byte("audit")        // be(seq) -> AuditEntry JSON
	bucketAuditTarget = []byte("audit_target") // target + 0 + be(seq) -> nil
	bucketAuthMeta    = []byte("auth_meta")    // marks such as the users file's last audited change
	authBuckets       = [][]byte{bucketSessions, bucketAudit, bucketAuditTarget, bucketAuthMeta}
)

// bucketsToCreate is every bucket Open creates.
func bucketsToCreate() [][]byte { return append(slices.Clip(allBuckets), authBuckets...) }

// EventAudit is the event type of an audit entry; Data is the AuditEntry.
const EventAudit = "audit"

// Session is a logged-in dashboard session. It is stored under the
// SHA-256 of its token, never the token itself, so a copy of the store
// (a backup) opens no session.
type Session struct {
	User string `json:"user"`
	// Stamp is the user's stamp when the session began: a password or
	// role change replaces the stamp, which ends the session.
	Stamp string `json:"stamp"`
	// CSRF is the token every state-changing request must echo.
	CSRF     string    `json:"csrf"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
}

// AuditEntry is one audited change: who did what to which target, when.
type AuditEntry struct {
	Seq    uint64    `json:"seq"`
	At     time.Time `json:"at"`
	User   string    `json:"user"`
	Action string    `json:"action"`
	Target string    `json:"target,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// Bounds that keep one entry small whatever a request carried.
const (
	maxAuditField  = 256
	maxAuditDetail = 4000
)

// appendAudit writes entries inside tx and records an audit event for
// each, so the audit is committed with the change it describes.
func appendAudit(tx *bolt.Tx, ev *eventWriter, entries []AuditEntry) ([]AuditEntry, error) {
	b := tx.Bucket(bucketAudit)
	b.FillPercent = appendOnlyFill
	idx := tx.Bucket(bucketAuditTarget)
	out := make([]AuditEntry, 0, len(entries))
	for _, e := range entries {
		seq, err := b.NextSequence()
		if err != nil {
			return nil, err
		}
		e.Seq = seq
		if e.At.IsZero() {
			e.At = ev.now
		}
		e.User = truncate(e.User, maxAuditField)
		e.Action = truncate(e.Action, maxAuditField)
		e.Target = truncate(e.Target, maxKeyLen)
		e.Detail = truncate(e.Detail, maxAuditDetail)
		data, err := json.Marshal(&e)
		if err != nil {
			return nil, err
		}
		if err := b.Put(u64(seq), data); err != nil {
			return nil, err
		}
		if e.Target != "" && bytes.IndexByte([]byte(e.Target), 0) < 0 {
			if err := idx.Put(append(pairKey(e.Target, ""), u64(seq)...), nil); err != nil {
				return nil, err
			}
		}
		if err := ev.add(EventAudit, data); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Audit records entries in the audit log (each also as an audit event)
// and returns them with their sequence numbers.
func (s *Store) Audit(entries ...AuditEntry) ([]AuditEntry, error) {
	var out []AuditEntry
	err := s.update(func(tx *bolt.Tx, ev *eventWriter) error {
		var err error
		out, err = appendAudit(tx, ev, entries)
		return err
	})
	return out, err
}

// AuditMarked records entries and sets the mark key to value in the same
// transaction: the daemon copies the CLI's account changes into the log
// and remembers which it copied, so a crash neither loses nor repeats one.
func (s *Store) AuditMarked(entries []AuditEntry, key, value string) error {
	return s.update(func(tx *bolt.Tx, ev *eventWriter) error {
		if _, err := appendAudit(tx, ev, entries); err != nil {
			return err
		}
		return tx.Bucket(bucketAuthMeta).Put([]byte(key), []byte(value))
	})
}

// AuditMark returns the value of a mark set by AuditMarked ("" if unset).
func (s *Store) AuditMark(key string) (string, error) {
	var v string
	err := s.db.View(func(tx *bolt.Tx) error {
		v = string(tx.Bucket(bucketAuthMeta).Get([]byte(key)))
		return nil
	})
	return v, err
}

// AuditLog returns up to limit entries with a sequence number below
// before (0: from the newest), newest first.
func (s *Store) AuditLog(before uint64, limit int) ([]AuditEntry, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	var out []AuditEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		var k, v []byte
		if before == 0 {
			k, v = c.Last()
		} else {
			c.Seek(u64(before))
			k, v = c.Prev()
			if k == nil {
				// Seek went past the end: everything is before.
				if lk, lv := c.Last(); lk != nil && binary.BigEndian.Uint64(lk) < before {
					k, v = lk, lv
				}
			}
		}
		for ; k != nil && len(out) < limit; k, v = c.Prev() {
			var e AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode audit entry %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// AuditFor returns up to limit entries about target, oldest first (the
// newest limit of them).
func (s *Store) AuditFor(target string, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = 200
	}
	var out []AuditEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := pairKey(target, "")
		log := tx.Bucket(bucketAudit)
		c := tx.Bucket(bucketAuditTarget).Cursor()
		// Walk back from the end of the target's range.
		end := append(append([]byte{}, prefix...), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
		k, _ := c.Seek(end)
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, _ = c.Prev() {
			if len(k) != len(prefix)+8 {
				continue // a longer target that shares the prefix
			}
			v := log.Get(k[len(prefix):])
			if v == nil {
				continue
			}
			var e AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode audit entry: %w", err)
			}
			out = append(out, e)
		}
		return nil
	})
	slices.Reverse(out)
	return out, err
}

// CreateSession stores a new session under its token's hash, with its
// audit entries in the same transaction.
func (s *Store) CreateSession(tokenHash []byte, sess Session, audit ...AuditEntry) error {
	data, err := json.Marshal(&sess)
	if err != nil {
		return err
	}
	return s.update(func(tx *bolt.Tx, ev *eventWriter) error {
		if err := tx.Bucket(bucketSessions).Put(tokenHash, data); err != nil {
			return err
		}
		_, err := appendAudit(tx, ev, audit)
		return err
	})
}

// Session returns the session stored under tokenHash.
func (s *Store) Session(tokenHash []byte) (Session, bool, error) {
	var sess Session
	var found bool
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSessions).Get(tokenHash)
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &sess)
	})
	return sess, found, err
}

// TouchSession sets a session's LastSeen (for the idle timeout). A
// session deleted meanwhile stays deleted.
func (s *Store) TouchSession(tokenHash []byte, at time.Time) error {
	return s.update(func(tx *bolt.Tx, _ *eventWriter) error {
		b := tx.Bucket(bucketSessions)
		v := b.Get(tokenHash)
		if v == nil {
			return nil
		}
		var sess Session
		if err := json.Unmarshal(v, &sess); err != nil {
			return err
		}
		sess.LastSeen = at
		data, err := json.Marshal(&sess)
		if err != nil {
			return err
		}
		return b.Put(tokenHash, data)
	})
}

// DeleteSession ends one session, with its audit entries in the same
// transaction. It reports whether the session existed.
func (s *Store) DeleteSession(tokenHash []byte, audit ...AuditEntry) (bool, error) {
	var found bool
	err := s.update(func(tx *bolt.Tx, ev *eventWriter) error {
		b := tx.Bucket(bucketSessions)
		found = b.Get(tokenHash) != nil
		if !found {
			return nil
		}
		if err := b.Delete(tokenHash); err != nil {
			return err
		}
		_, err := appendAudit(tx, ev, audit)
		return err
	})
	return found, err
}

// DeleteSessions ends every session for which end returns true (a
// removed user, a changed stamp, an expired one) and returns how many.
// Records that do not decode are removed too: they open nothing.
func (s *Store) DeleteSessions(end func(Session) bool) (int, error) {
	n := 0
	err := s.update(func(tx *bolt.Tx, _ *eventWriter) error {
		n = 0
		b := tx.Bucket(bucketSessions)
		var doomed [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var sess Session
			if json.Unmarshal(v, &sess) != nil || end(sess) {
				doomed = append(doomed, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		n = deleteKeys(b, doomed)
		return nil
	})
	return n, err
}
