package orchestrate.recipe;

import java.util.OptionalDouble;

/** What the box costs, as the recipe states it: dollars per hour and a budget in dollars. */
public record Cost(OptionalDouble perHour, OptionalDouble budget) {

    public static final Cost UNKNOWN = new Cost(OptionalDouble.empty(), OptionalDouble.empty());
}
