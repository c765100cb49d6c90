package orchestrate.controller.console;

import java.time.Duration;
import java.util.Locale;

/** Sizes, rates, durations and money as people read them. */
public final class Format {

    private Format() {}

    public static String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, value < 10 ? "%.2f %s" : value < 100 ? "%.1f %s" : "%.0f %s", value, units[unit]);
    }

    public static String rate(double bytesPerSecond) {
        return bytes((long) bytesPerSecond) + "/s";
    }

    public static String duration(Duration duration) {
        long s = Math.max(0, duration.toSeconds());
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    public static String seconds(double seconds) {
        return seconds < 60 ? String.format(Locale.ROOT, "%.1fs", seconds) : duration(Duration.ofMillis((long) (seconds * 1000)));
    }

    /** Cents from a dollar up; below, enough digits that a few minutes of a cheap box is not "$0.00". */
    public static String dollars(double dollars) {
        return String.format(Locale.ROOT, Math.abs(dollars) >= 1 ? "$%.2f" : "$%.4f", dollars);
    }
}
