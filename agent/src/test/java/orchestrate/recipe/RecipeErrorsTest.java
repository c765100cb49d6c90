package orchestrate.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import orchestrate.steps.StepCatalog;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each malformed recipe gets one message that names the file, the line, the column and what was expected. */
class RecipeErrorsTest {

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("unknown top-level key", """
                        name: demo
                        stepz:
                          - shell: {run: "true"}
                        """,
                        "r.yaml:2:1: unknown key 'stepz' in the recipe; expected one of: name, workdir, vars, cost, steps, artifacts"),
                Arguments.of("missing name", """
                        steps:
                          - shell: {run: "true"}
                        """,
                        "r.yaml:1:1: the recipe has no 'name' (a short name such as 'mibera', used for its directories)"),
                Arguments.of("name with a slash", """
                        name: a/b
                        steps:
                          - shell: {run: "true"}
                        """,
                        "r.yaml:1:7: 'name' must be letters, digits, '.', '_' or '-' (it names directories), not 'a/b'"),
                Arguments.of("steps is not a list", """
                        name: demo
                        steps:
                          shell: {run: "true"}
                        """,
                        "r.yaml:3:3: 'steps' must be a non-empty list of steps, not a mapping"),
                Arguments.of("unknown step kind", """
                        name: demo
                        steps:
                          - shel:
                              run: "true"
                        """,
                        "r.yaml:3:5: unknown step kind 'shel' (did you mean 'shell'?); known kinds: card, convert, download, evaluate, inspect, llama-cpp, merge-lora, modelfile, patch-config, push, quantize, shell, split, split-ffn, split-qkv, verify, write"),
                Arguments.of("missing option", """
                        name: demo
                        steps:
                          - shell:
                              env: {A: b}
                        """,
                        "r.yaml:4:7: step 'shell' is missing option 'run' (a command for bash -c)"),
                Arguments.of("unknown option", """
                        name: demo
                        steps:
                          - shell:
                              run: "true"
                              cmd: "false"
                        """,
                        "r.yaml:5:7: unknown option 'cmd' for step 'shell'; expected one of: run, env, outputs"),
                Arguments.of("misspelt option reported before the missing one it causes", """
                        name: demo
                        steps:
                          - shell:
                              rnu: "make"
                        """,
                        "r.yaml:4:7: unknown option 'rnu' for step 'shell' (did you mean 'run'?); expected one of: run, env, outputs"),
                Arguments.of("wrong type for an option", """
                        name: demo
                        steps:
                          - write:
                              path: [a, b]
                              text: hi
                        """,
                        "r.yaml:4:13: 'path' of step 'write' must be a file path under the workdir, not a list"),
                Arguments.of("duplicate step id", """
                        name: demo
                        steps:
                          - shell: {run: "true"}
                          - shell: {run: "false"}
                        """,
                        "r.yaml:4:5: duplicate step id 'shell' (also at line 3); give each step of the same kind its own 'id:'"),
                Arguments.of("two kinds in one step", """
                        name: demo
                        steps:
                          - shell: {run: "true"}
                            write: {path: a, text: b}
                        """,
                        "r.yaml:4:5: a step names one kind, but this one has 'shell' and 'write' (is a '-' missing before 'write'?)"),
                Arguments.of("unknown variable", """
                        name: demo
                        vars: {model: phi}
                        steps:
                          - shell: {run: "echo ${modle}"}
                        """,
                        "r.yaml:4:18: unknown variable ${modle}; defined: model (define it under 'vars:', pass --set modle=VALUE, or write $${modle} for a literal)"),
                Arguments.of("a required variable not given", """
                        name: demo
                        vars:
                          adapter:
                        steps:
                          - shell: {run: "echo ${adapter}"}
                        """,
                        "r.yaml:5:18: var ${adapter} has no value in the recipe; pass --set adapter=VALUE"),
                Arguments.of("budget is not a number", """
                        name: demo
                        cost: {per-hour: 0.4, budget: lots}
                        steps:
                          - shell: {run: "true"}
                        """,
                        "r.yaml:2:31: 'budget' of 'cost' must be a budget in dollars (a positive number), not the text 'lots'"),
                Arguments.of("artifact outside the workdir", """
                        name: demo
                        steps:
                          - shell: {run: "true"}
                        artifacts:
                          - ../secret.txt
                        """,
                        "r.yaml:5:5: artifact '../secret.txt' must be a relative path under the workdir (no leading '/', '~' or '..')"),
                Arguments.of("broken YAML", """
                        name: demo
                        steps:
                          - shell: {run: "true"
                        """,
                        "r.yaml:4:1: invalid YAML: expected ',' or '}', but got <stream end> (while parsing a flow mapping that began at line 3)"),
                Arguments.of("tab indentation", "name: demo\nsteps:\n\t- shell: {run: x}\n",
                        "r.yaml:3:1: invalid YAML: found character '\\t(TAB)' that cannot start any token. (Do not use \\t(TAB) for indentation)"),
                Arguments.of("id inside the options", """
                        name: demo
                        steps:
                          - shell:
                              id: build
                              run: make
                        """,
                        "r.yaml:4:7: 'id' goes beside the step kind, not inside its options: '- id: NAME' then the kind on the next line"),
                Arguments.of("duplicate key", """
                        name: demo
                        name: other
                        steps:
                          - shell: {run: "true"}
                        """,
                        "r.yaml:2:1: duplicate key 'name' (first written at line 1)"),
                Arguments.of("boolean expected", """
                        name: demo
                        steps:
                          - shell: {run: "true"}
                        cost: {per-hour: yes please}
                        """,
                        "r.yaml:4:18: 'per-hour' of 'cost' must be dollars per hour (a number, e.g. 0.45), not the text 'yes please'"),
                Arguments.of("empty file", "",
                        "r.yaml:1:1: a recipe is a mapping with 'name' and 'steps', not nothing"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void rejectsWithOneMessageAtThePlace(String what, String yaml, String expected) {
        RecipeException error = assertThrows(RecipeException.class,
                () -> StepCatalog.plan(RecipeLoader.parse("r.yaml", yaml, Map.of())));
        assertEquals(expected, error.getMessage());
    }

    @org.junit.jupiter.api.Test
    void rejectsAnOverrideForAVariableTheRecipeDoesNotHave() {
        RecipeException error = assertThrows(RecipeException.class, () -> RecipeLoader.parse("r.yaml", """
                name: demo
                vars:
                  model: phi
                steps:
                  - shell: {run: "echo ${model}"}
                """, Map.of("modle", "x")));
        assertEquals("r.yaml:2:1: --set modle: the recipe has no var 'modle'; its vars are: model", error.getMessage());
    }
}
