package pypi

// cachedPage is a rendered project page, kept in the Handler's cache under
// its kind (html, json) and the PackageView key it was rendered from.
type cachedPage struct {
	body []byte
	etag string
}

func (p cachedPage) size() int { return len(p.body) + len(p.etag) }

// pageKey is a page's cache key; "" (do not cache) when the view has none.
func pageKey(viewKey, kind string) string {
	if viewKey == "" {
		return ""
	}
	return kind + "\x00" + viewKey
}
