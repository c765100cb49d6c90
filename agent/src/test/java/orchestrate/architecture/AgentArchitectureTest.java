package orchestrate.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The agent's layering, as DESIGN.md draws it, enforced: a back edge fails the build. From the
 * bottom: {@code files}, {@code text}, {@code process}; the formats ({@code safetensors},
 * {@code gguf}); {@code quant}, {@code conversion}, {@code model}, {@code hub}, {@code split},
 * {@code llama}; {@code run} (which knows no step, model, format or plan); {@code plan};
 * {@code steps}; {@code agent}.
 */
@AnalyzeClasses(packages = "orchestrate", importOptions = ImportOption.DoNotIncludeTests.class)
class AgentArchitectureTest {

    @ArchTest
    static final ArchRule noPackageCycles = slices().matching("orchestrate.(*)..").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule formatsDependOnTheJdkAndTheFileHelpersOnly = classes().that().resideInAnyPackage("orchestrate.safetensors..", "orchestrate.gguf..")
            .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "com.fasterxml.jackson..", "orchestrate.files..", "orchestrate.text..",
                    "orchestrate.safetensors..", "orchestrate.gguf..");

    @ArchTest
    static final ArchRule theHelpersBelowEverythingDependOnNothingOfOurs = classes().that().resideInAnyPackage("orchestrate.files..", "orchestrate.text..",
                    "orchestrate.process..", "orchestrate.retry..")
            .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "orchestrate.files..", "orchestrate.text..", "orchestrate.process..",
                    "orchestrate.retry..");

    @ArchTest
    static final ArchRule theRunnerKnowsNoStepModelFormatOrPlan = noClasses().that().resideInAPackage("orchestrate.run..")
            .should().dependOnClassesThat().resideInAnyPackage("orchestrate.steps..", "orchestrate.plan..", "orchestrate.model..",
                    "orchestrate.safetensors..", "orchestrate.gguf..", "orchestrate.quant..", "orchestrate.conversion..", "orchestrate.hub..",
                    "orchestrate.split..", "orchestrate.llama..");

    @ArchTest
    static final ArchRule nothingOfTheAgentUsesTheTestKitOrAnHttpServer = noClasses().that().resideOutsideOfPackage("orchestrate.testkit..")
            .should().dependOnClassesThat().resideInAnyPackage("orchestrate.testkit..", "com.sun.net.httpserver..", "org.apache.sshd..");
}
