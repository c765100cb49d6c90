package orchestrate.text;

/**
 * Text from outside (a tensor name, a file name, a server's answer) made safe for a one-line
 * message: control characters are written as {@code \\uXXXX}, and very long text is cut, so no
 * input can break a message over lines or drown it.
 */
public final class OneLine {

    private static final int LONGEST = 2000;

    private OneLine() {}

    public static String of(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), LONGEST) + 16);
        for (int i = 0; i < text.length(); i++) {
            if (out.length() >= LONGEST) {
                return out.append("... [").append(text.length()).append(" characters]").toString();
            }
            char c = text.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
