package orchestrate.controller.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The controller's layering, enforced: no package cycles, and the root package (the laptop and the
 * exit codes) below every verb.
 */
@AnalyzeClasses(packages = "orchestrate.controller", importOptions = ImportOption.DoNotIncludeTests.class)
class ControllerArchitectureTest {

    @ArchTest
    static final ArchRule noPackageCycles = slices().matching("orchestrate.controller.(*)..").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule theRootPackageDependsOnNothingOfOurs = classes().that().resideInAPackage("orchestrate.controller")
            .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "orchestrate.controller");
}
