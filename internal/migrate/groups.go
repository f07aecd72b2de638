package migrate

import (
	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// groupRows is one package group with what hangs off it.
type groupRows struct {
	g       meta.PackageGroup
	allowed map[string][]string // by restriction type
	att     *attached           // tags (a group has no policy)
}

func (m *migration) groupARN(d *meta.Domain, pattern string) string {
	return "arn:aws:codeartifact:" + m.region + ":" + d.Owner + ":package-group/" + d.Name + pkgsvc.EncodeGroupPattern(pattern)
}

// copyGroups makes the destination's package groups of d the source's —
// rows (same ids), allowed-repository lists and tags — in one transaction;
// on a resumed run groups the source no longer has are removed.
func (m *migration) copyGroups(d *meta.Domain) error {
	src, err := all(func(o meta.ListOptions) ([]meta.PackageGroup, string, error) {
		return m.src.Meta.ListPackageGroups(m.ctx, meta.PackageGroupFilter{DomainID: d.ID}, o)
	})
	if err != nil {
		return err
	}
	rows := make([]groupRows, 0, len(src))
	for _, g := range src {
		gr := groupRows{g: g, allowed: map[string][]string{}}
		for _, typ := range meta.RestrictionTypes {
			names, err := all(func(o meta.ListOptions) ([]string, string, error) {
				return m.src.Meta.ListPackageGroupRepositories(m.ctx, g.ID, typ, o)
			})
			if err != nil {
				return err
			}
			gr.allowed[typ] = names
		}
		if gr.att, err = m.readAttached(m.groupARN(d, g.Pattern)); err != nil {
			return err
		}
		rows = append(rows, gr)
	}
	err = m.dst.Meta.Update(m.ctx, func(tx meta.Tx) error {
		if m.resume {
			have, err := all(func(o meta.ListOptions) ([]meta.PackageGroup, string, error) {
				return tx.ListPackageGroups(m.ctx, meta.PackageGroupFilter{DomainID: d.ID}, o)
			})
			if err != nil {
				return err
			}
			for _, h := range have { // start from nothing: the source's rows replace every copy
				if err := tx.DeletePackageGroup(m.ctx, h.ID); err != nil {
					return err
				}
				if err := tx.DeleteTags(m.ctx, m.groupARN(d, h.Pattern), nil); err != nil {
					return err
				}
			}
		}
		for i := range rows {
			gr := &rows[i]
			if err := tx.InsertPackageGroup(m.ctx, &gr.g); err != nil {
				if apierr.Is(err, apierr.Conflict) {
					return apierr.New(apierr.Conflict, "the destination already has package group %s in domain %s; migrate into empty stores", gr.g.Pattern, d.Name)
				}
				return err
			}
			for typ, names := range gr.allowed {
				if len(names) > 0 {
					if err := tx.AddPackageGroupRepositories(m.ctx, gr.g.ID, typ, names); err != nil {
						return err
					}
				}
			}
			if err := gr.att.put(m.ctx, tx, m.groupARN(d, gr.g.Pattern), false); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		for i := range rows {
			m.countAttached(rows[i].att)
		}
	}
	return err
}
