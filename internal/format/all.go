package format

// Formats are the data-plane handlers by the API's format name; a new format
// is one sub-package and one line in the table built by the server (a table
// here would import every format package into this one).
type Formats map[string]Handler
