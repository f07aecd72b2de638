package formatrules

// Formats of the API's PackageFormat enum that arca has no repository
// endpoint for yet. Only their namespace rule (CodeArtifact's API rule) is
// defined; each gets its own file with the rest of its rules when its
// endpoint arrives.
var NuGet = register(&Rules{Name: "nuget", Namespace: NamespaceForbidden})
