package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ScanMentionsSeen calls fn for every mention first seen in [from, to),
// oldest first, in one read transaction; an error from fn stops the scan
// and is returned. It is for jobs that read a whole period once (the
// daily and weekly digests): unlike MentionsSeenSince it has no limit to
// page around, and it holds no more than one mention at a time.
//
// fn must not write to the store: it runs inside the read transaction.
func (s *Store) ScanMentionsSeen(from, to time.Time, fn func(*Mention) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		mentions := tx.Bucket(bucketMentions)
		c := tx.Bucket(bucketBySeen).Cursor()
		end := seenKey(to, "")
		for k, _ := c.Seek(seenKey(from, "")); k != nil && string(k[:8]) < string(end[:8]); k, _ = c.Next() {
			v := mentions.Get(k[8:])
			if v == nil {
				continue
			}
			var m Mention
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("decode mention %s: %w", k[8:], err)
			}
			if err := fn(&m); err != nil {
				return err
			}
		}
		return nil
	})
}
