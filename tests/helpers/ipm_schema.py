"""What IPM accepts in module.xml, taken from IPM's own source (intersystems/ipm).

Read at tag v0.10.9 (commit 6b95dd1d8b1b44d73b05f1294c2913890796ca46); where older IPM
(v0.9.0) differs, it says so. Each set names the file it came from.
"""

IPM_COMMIT = "6b95dd1d8b1b44d73b05f1294c2913890796ca46"

# Module children. src/cls/IPM/Storage/Module.cls and src/cls/IPM/General/ModuleInfo.cls
# (XML-projected properties; Resources/Invokes/Mappings/Defaults are written flat in
# module.xml and wrapped by the InternalXSL of src/cls/IPM/StudioDocument/Module.cls,
# which also turns `Default` and `Parameter` into Defaults and every other child with a
# Name attribute into a Resource whose ProcessorClass is the element name).
MODULE_CHILDREN = {
    "Name", "Version", "ExternalName", "Description", "Keywords", "Author", "Packaging",
    "Dependencies", "SourcesRoot", "SystemRequirements", "LifecycleClass",
    "AvailabilityClass", "InstallerClass", "AfterInstallMessage", "Deployed", "IncludeTests",
    "UpdatePackage", "GlobalScope", "Resource", "Invoke", "Mapping", "Default", "Parameter",
}

# Resource processors: src/cls/IPM/ResourceProcessor/<Name>.cls (the concrete ones), with
# their ATTRIBUTES parameter and property aliases.
PROCESSOR_ATTRIBUTES = {
    # ResourceProcessor/FileCopy.cls: ATTRIBUTES "Name,InstallDirectory,Overlay,CSPApplication,Defer";
    # Name has alias SourceDirectory, InstallDirectory (Required) has aliases Target, Dest.
    "FileCopy": {"Name", "SourceDirectory", "InstallDirectory", "Target", "Dest", "Overlay",
                 "CSPApplication", "Defer"},
    # ResourceProcessor/PythonWheel.cls: ATTRIBUTES "Name,Directory,ExtraPipFlags".
    "PythonWheel": {"Name", "Directory", "ExtraPipFlags"},
}
REQUIRED_PROCESSOR_ATTRIBUTES = {"FileCopy": [{"InstallDirectory", "Target", "Dest"}]}

# src/cls/IPM/Storage/ResourceReference.cls (attributes of every resource) plus
# src/cls/IPM/ResourceProcessor/AbstractCompilable.cls (ATTRIBUTES "CompileAfter,Flags").
RESOURCE_ATTRIBUTES = {"Name", "Scope", "Preload", "Generated", "Deploy", "ProcessorClass",
                       "CompileAfter", "Flags"}
RESOURCE_SCOPES = {"test", "verify"}

# src/cls/IPM/Storage/InvokeReference.cls: attributes, and Arg elements (MAXLEN 255).
# CheckStatus is [ Deprecated ] since v0.10.5 but still read; before v0.10.5 it defaulted
# to 0, i.e. a returned %Status was ignored unless CheckStatus="true".
INVOKE_ATTRIBUTES = {"Class", "Method", "Phase", "CustomPhase", "When", "CheckStatus"}
INVOKE_ARG_MAXLEN = 255
# src/cls/IPM/DataType/PhaseName.cls VALUELIST and src/cls/IPM/DataType/PhaseWhen.cls.
PHASES = {"Clean", "Initialize", "Reload", "*", "Validate", "ExportData", "Compile", "Activate",
          "Document", "MakeDeployed", "Test", "Package", "Verify", "Publish", "Configure",
          "Unconfigure", "ApplyUpdateSteps"}
WHEN = {"Before", "After"}

# src/cls/IPM/Storage/ModuleSetting/Default.cls: Name (255), Value (1000).
DEFAULT_ATTRIBUTES = {"Name", "Value"}

# src/cls/IPM/Storage/SystemRequirements.cls. IPMVersion and PythonVersion are newer than
# v0.9.0 (PythonVersion: v0.10.4), and this class has no XMLIGNOREINVALIDATTRIBUTE: an
# older IPM rejects them, so iris-pgwire does not use them.
SYSTEM_REQUIREMENTS_ATTRIBUTES = {"Version", "Interoperability", "Health", "IPMVersion",
                                  "PythonVersion"}
SYSTEM_REQUIREMENTS_SINCE_V0_9 = {"Version", "Interoperability", "Health"}

# src/cls/IPM/Storage/ModuleAuthorInfo.cls.
AUTHOR_CHILDREN = {"Person", "Organization", "CopyrightDate", "License", "Notes"}

# ${...} / {$...} expressions (case-insensitive): src/cls/IPM/Storage/Module.cls %Evaluate
# (root, packagename, version, verbose, ipmDir - the last not in v0.9.0), the module's own
# Default names, and src/cls/IPM/Utils/Module.cls %EvaluateSystemExpression (all in v0.9.0).
MODULE_EXPRESSIONS = {"root", "packagename", "version", "verbose", "ipmdir"}
SYSTEM_EXPRESSIONS = {"namespace", "ns", "namespacelower", "namespaceroutinedb",
                      "namespaceglobalsdb", "installdir", "datadir", "mgrdir", "cspdir",
                      "bindir", "libdir", "webroot", "dbrole", "globalsdbrole"}

# Where IPM runs the phases (the Invokes' Phase/When must fit this):
# - install and load: %IPM.Utils.Module LoadNewModule runs ExecutePhases(..., "Activate"),
#   complete = Initialize, Reload, *, Validate, Compile, Activate (Lifecycle/Base.cls
#   GetCompletePhasesForOne); Configure is not in that list but
# - %IPM.Lifecycle.Module %Activate calls ..Configure(), running the Configure phase inside
#   Activate (Lifecycle/Module.cls; same in v0.9.0), and %Clean (uninstall) calls
#   ..Unconfigure() before deleting the module's classes.
# - In each phase: resource processors' OnBeforePhase, Invokes When="Before", the phase,
#   Invokes When="After", processors' OnAfterPhase (Storage/Module.cls ExecutePhases).
# - FileCopy copies in OnBeforePhase("Activate") unless Defer, deletes its target at Clean.
INSTALL_PHASES = ["Initialize", "Reload", "Validate", "Compile", "Activate"]
PHASES_INSIDE = {"Activate": ["Configure"], "Clean": ["Unconfigure"]}
UNINSTALL_PHASES = ["Clean"]

# requirements.txt beside module.xml: Lifecycle/Base.cls InstallOrDownloadPythonRequirements
# runs `pip install -r requirements.txt -t <mgr>/python --python-version X
# --only-binary=:all:` against the configured index: iris-pgwire ships none.
