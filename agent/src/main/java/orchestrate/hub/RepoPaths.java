package orchestrate.hub;

/**
 * What a repository path and a repository name may be. A listing comes from a server we do not
 * control (a mirror, a stranger's repository), and its paths become file names on the box: one
 * that is absolute, climbs out with {@code ..}, or hides a backslash, NUL or control character is
 * refused before anything is written.
 */
public final class RepoPaths {

    private RepoPaths() {}

    /** Why {@code path} may not be a file of a repository, or null when it may. */
    public static String problem(String path) {
        if (path.isEmpty()) {
            return "an empty path";
        }
        if (path.startsWith("/")) {
            return "an absolute path";
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '\\') {
                return "a backslash";
            }
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                return c == 0 ? "a NUL character" : "a control character";
            }
        }
        for (String segment : path.split("/", -1)) {
            if (segment.equals("..") || segment.equals(".")) {
                return "a '" + segment + "' segment";
            }
            if (segment.isEmpty()) {
                return "an empty segment";
            }
        }
        return null;
    }

    /** A repository id: {@code ORG/NAME}, each of letters, digits, '.', '_' and '-', neither '.' nor '..'. */
    public static boolean isRepoId(String repo) {
        int slash = repo.indexOf('/');
        return slash > 0 && slash == repo.lastIndexOf('/') && isName(repo.substring(0, slash)) && isName(repo.substring(slash + 1));
    }

    private static boolean isName(String part) {
        return !part.isEmpty() && part.length() <= 96 && part.matches("[A-Za-z0-9._-]+") && !part.equals(".") && !part.equals("..");
    }
}
