package orchestrate.hub;

/**
 * A file of a repository at a commit.
 *
 * @param sha256 the LFS object id (weights), or null for a file kept in git
 * @param gitOid git's blob SHA-1, or null when the listing omits it
 */
public record RepoFile(String path, long size, String sha256, String gitOid) {}
