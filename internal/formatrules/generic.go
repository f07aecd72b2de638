package formatrules

// Generic packages (PublishPackageVersion): a namespace is required, names
// and versions are kept as spelled (any version the API's coordinate
// pattern admits), natural version order.
var Generic = register(&Rules{
	Name:      "generic",
	Namespace: NamespaceRequired,
})
