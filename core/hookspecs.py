"""The hooks plugins implement: the public contract for plugin authors.

Hooks are grouped by when they are called.  None of them depends on the order
in which pluggy calls implementations: the core merges their results by name
(a name claimed twice is a :class:`~tongchou.errors.PluginConflict` unless one
side says ``replaces=``) and sorts rule outcomes by article.

A plugin is any module or object with functions decorated by
``tongchou.hookimpl``; a pack (:class:`tongchou.Pack`) lists the plugins
of one jurisdiction.  The reference for each hook, with an example, is in
docs/plugins.md.
"""
from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("tongchou")

# ---------------------------------------------------------------------------
# Start-up: what the plugins contribute.  Each is called once when a
# jurisdiction is loaded; results from all plugins are merged by name.


@hookspec
def tongchou_statuses():
    """Contribute project statuses.

    Called once at start-up.  Returns a list of :class:`tongchou.Status`.  Exactly
    one status in the jurisdiction must be ``initial``.  A name contributed twice
    is a conflict unless one side sets ``replaces`` to the other plugin's name.
    """


@hookspec
def tongchou_roles():
    """Contribute roles users may hold.

    Called once at start-up.  Returns a list of :class:`tongchou.Role`.  The core
    itself contributes ``admin`` (system administration, no policy actions).
    """


@hookspec
def tongchou_fields():
    """Contribute project fields.

    Called once at start-up.  Returns a list of :class:`tongchou.Field`.  The core
    contributes ``name``, ``unit``, ``year`` and ``estimate``; every other field a
    jurisdiction keeps on a project comes from a plugin.
    """


@hookspec
def tongchou_actions():
    """Contribute actions: the steps of a project's life.

    Called once at start-up.  Returns a list of :class:`tongchou.Action`.  Each
    names the roles that may take it, the statuses it starts from and moves to,
    its arguments and the article it follows.  Every role and status it names
    must be contributed by some plugin, or loading fails.
    """


@hookspec
def tongchou_action_arguments():
    """Add arguments to actions that other plugins define.

    Called once at start-up.  Returns a list of :class:`tongchou.ActionArgument`.
    The action must exist in the jurisdiction (else loading fails); an argument
    name the action already has is a conflict.
    """


@hookspec
def tongchou_guards():
    """Contribute guards: independent reasons to refuse an action.

    Called once at start-up.  Returns a list of :class:`tongchou.Guard`.  A guard
    may watch any plugin's action, ``tongchou.ANY_ACTION`` (every action, not
    the pseudo-actions), and the pseudo-actions ``tongchou.CREATE_PROJECT``
    (``ctx.project`` is the project to be entered, with no id yet,
    ``ctx.args`` is ``{}``) and
    ``tongchou.UPDATE_PROJECT`` (``ctx.project`` is the project after the edit,
    ``ctx.args`` is ``{"changes": ..., "before": ProjectState}``).  When an
    action is taken every guard watching it runs; all refusals are reported,
    sorted by article, and any refusal means nothing is changed.  A guard
    reads the other projects through ``ctx.projects`` (read-only, never the
    project itself) and the project's uploaded documents through
    ``ctx.documents``; one that reads other projects should be declared with
    ``Guard(..., reads_projects=True)`` so that actions on one unit are
    decided one at a time.  A pack's
    ``disable`` or the ledger's ``disabled_rules`` setting switches one guard
    off by its code; a guard whose ``requires`` names an action the
    jurisdiction lacks is left out.
    """


@hookspec
def tongchou_obligation_rules():
    """Contribute obligation rules, each named by a code of its own.

    Called once at start-up.  Returns a list of :class:`tongchou.ObligationRule`:
    a ``code``, the ``citation`` of its article and ``derive(project, history,
    params, **optional)``, called after every change to a project with the
    arguments of :func:`tongchou_obligations` (a rule may take only some of
    them) and returning the :class:`tongchou.Obligation` records it derives
    (or None), each carrying the rule's code or ``code + "." + suffix`` (else
    ConfigurationError naming the plugin).  A code contributed twice is a
    conflict unless one side sets ``replaces`` to the other plugin's name; a
    pack's ``disable`` or the ledger's ``disabled_rules`` setting switches one
    rule off by its code.  A rule whose ``requires`` names an action the
    jurisdiction lacks is left out.
    """


@hookspec
def tongchou_finding_rules():
    """Contribute finding rules, each named by a code of its own.

    Called once at start-up.  Returns a list of :class:`tongchou.FindingRule`;
    as :func:`tongchou_obligation_rules`, but ``derive`` returns
    :class:`tongchou.Finding` records (never of severity ``overdue``), with the
    arguments of :func:`tongchou_findings`.
    """


@hookspec
def tongchou_parameters():
    """Contribute dated parameters (the numbers rules use).

    Called once at start-up.  Returns a list of :class:`tongchou.Parameter`, most
    easily with :func:`tongchou.parameters.load_parameters` from YAML files.
    """


@hookspec
def tongchou_articles():
    """Contribute the text of the articles a plugin encodes.

    Called once at start-up.  Returns a list of :class:`tongchou.Article`; the UI
    shows the text next to refusals, findings and obligations that cite it.
    """


@hookspec
def tongchou_reports():
    """Contribute reports (e.g. an annual catalogue of systems).

    Called once at start-up.  Returns a list of :class:`tongchou.Report`.
    """


@hookspec
def tongchou_document_templates():
    """Contribute official documents (公文) filled in from a project's record.

    Called once per jurisdiction, the first time documents are listed or
    rendered (:mod:`tongchou.official`).  Returns a list of
    :class:`tongchou.official.DocumentTemplate`: a ``kind``, a Chinese
    ``label``, the path of a ``.docx`` template with ``{{ project.name }}``
    placeholders and repeating table rows (``{{ findings[].message }}``), and a
    ``context(doc)`` callable returning the template's own values, or None
    when the document does not apply to the project now.  A kind contributed
    twice is a conflict unless one side sets ``replaces`` to the other plugin's
    name (how a county swaps in its own letterhead).
    """


@hookspec
def tongchou_citation_maps():
    """Cite a base pack's articles under one's own measures.

    Called once at start-up.  Returns a list of :class:`tongchou.CitationMap`,
    keyed by the base ``document``: a pack that reuses another pack's plugins
    maps that document's article numbers to its own, so that the reused rules'
    actions, guards, refusals, parameters, findings and obligations cite the
    pack's own measures.  Two maps of one document are a conflict unless one
    side sets ``replaces``.
    """


# ---------------------------------------------------------------------------
# After each change to a project: what it owes and what is wrong with it.
# Called inside the transaction of the change, with the project as it now is.


@hookspec
def tongchou_obligations(project, history, params, projects, documents):
    """Derive the obligations a project has (open and closed) from its history.

    Called after every change to a project (an action, an edit, a document
    uploaded or removed), inside its transaction, and for every project when
    the rules change (``tongchou recompute``).

    :param project: the :class:`tongchou.ProjectState` after the change.
    :param history: tuple of :class:`tongchou.HistoryEvent`, oldest first.
    :param params: :class:`tongchou.parameters.ParameterSet`; use
        ``params.value(name, event.date)`` for the value in force on a date.
    :param projects: optional (take it only if needed): the other projects of
        the ledger, read-only, as a :class:`tongchou.reads.ProjectReader`
        (``projects.count(unit=..., year=..., status=[...])``,
        ``projects.find(...)``); never includes ``project``.  What is derived
        from it is stored and only re-derived when this project changes, so
        a finding about what *other* projects did later belongs in
        :func:`tongchou_sweep` instead.
    :param documents: optional: tuple of :class:`tongchou.reads.DocumentInfo`
        (kind, upload date, file name, SM3 digest), the project's uploaded
        documents, oldest first.
    :return: a list of :class:`tongchou.Obligation`, or None.  The core replaces
        the project's stored obligations with the union from all plugins (and
        their :func:`tongchou_obligation_rules`, the way to write a rule that
        can be disabled or replaced alone); outputs whose code a pack or the
        ledger disabled are dropped.  An open
        obligation whose due date has passed is reported as an ``overdue`` finding
        citing the obligation's article; the due day itself is on time.
    """


@hookspec
def tongchou_findings(project, history, params, projects, documents):
    """Derive the findings (problems, advice) a project has from its state.

    Called after every change to a project (an action, an edit, a document
    uploaded or removed), inside its transaction.  Parameters as for
    :func:`tongchou_obligations`; ``projects`` and ``documents`` are optional
    (an implementation takes only the arguments it names).

    :return: a list of :class:`tongchou.Finding`, or None.  Overdue findings are
        made by the core from obligations; do not return them here.
    """


@hookspec
def tongchou_todos(project, history, params, on, obligations, documents):
    """Say what a project waits for on a date: the steps that move it on and
    what is owed on it (the worklists 我的待办 and ``tongchou todo``, and the
    project page's 下一步).

    Called for each candidate project when a worklist is built, and for one
    project when its page is shown; many projects are asked in a row, with
    histories, obligations and documents read beforehand in a few queries, so
    answer from the arguments alone (no queries).  The candidates of a user's
    worklist are the projects the user sees in a status where some action of
    the user's role may start; when every implementation declares the
    actions it proposes (``@tongchou.todo_actions("budget", ...)`` under
    ``@hookimpl``), only those of the role's actions count, and proposing
    one not declared is a ConfigurationError.  When no plugin implements the
    hook, every action with ``from_statuses`` is a to-do in those statuses
    while nothing but its arguments would refuse it.

    :param project: the :class:`tongchou.ProjectState` as it is now.
    :param history: tuple of :class:`tongchou.HistoryEvent`, oldest first.
    :param params: :class:`tongchou.parameters.ParameterSet`; ``params.value(name, on)``.
    :param on: the date looked at (what is due or overdue then).
    :param obligations: optional: tuple of the project's open
        :class:`tongchou.Obligation` records, earliest due first.
    :param documents: optional: tuple of :class:`tongchou.reads.DocumentInfo`,
        the project's uploaded documents, oldest first.
    :return: a list of :class:`tongchou.Todo` (an action, the reason in
        Chinese, its article, optionally the code owed and a due date), or
        None.  The core keeps a to-do for a user when the user's role (and
        unit, or party: ``Action.party``) may take its action on the project
        and the project is in one of the action's start statuses; a to-do
        naming an action the jurisdiction lacks is dropped.  Each entry is
        marked ready, or blocked with the refusals of the guards that refuse
        whatever the arguments (the checklist of 下一步).
    """


@hookspec
def tongchou_action_taken(ctx, event_id):
    """React to an action that succeeded (e.g. to notify someone).

    Called after the action's event is written, inside its transaction: raising
    rolls the action back.  Not called for a refused action.

    :param ctx: the :class:`tongchou.ActionContext` the guards saw.
    :param event_id: the id of the new event row.
    :return: ignored.
    """


@hookspec
def tongchou_sweep(projects, on, params):
    """Say what is wrong with many projects on a date, beyond what was derived
    when they last changed (findings that appear only because time passed).

    Called by the compliance sweep (:meth:`tongchou.ledger.Ledger.sweep`) and
    whenever findings are listed for a date, with up to
    ``tongchou.ledger.SWEEP_CHUNK`` (5,000) projects per call, so answer for
    all of them at once rather than one query or loop per project.  Not called
    when no plugin implements it.  An open obligation past its due date is
    already an ``overdue`` finding: use this only for what no obligation says.
    An implementation that only looks at some statuses should say so with
    ``@tongchou.sweep_statuses("draft", ...)`` under ``@hookimpl``: when every
    implementation does, only projects in those statuses are read and passed.
    One that only gives advice adds ``severities=("advice",)``: it is then not
    called where advice is not shown (the home page's problem counts).

    :param projects: list of :class:`tongchou.ProjectState` (their current
        fields and status; no histories: derive date-dependent duties from
        history as obligations instead).
    :param on: the date looked at.
    :param params: the ledger's :class:`tongchou.parameters.ParameterSet`; use
        ``params.value(name, on)``.
    :return: a mapping ``{project_id: [Finding, ...]}`` for the projects that
        have findings (others may be left out), or None.  Severity ``overdue``
        is refused; an id that was not asked about is a ConfigurationError.
    """


@hookspec
def tongchou_ledger_notices(params, on):
    """Say what holds for the whole ledger on a date (e.g. the rules expired).

    Called when findings are listed for a date (CLI ``findings``, dashboard).

    :param params: the ledger's :class:`tongchou.parameters.ParameterSet`.
    :param on: the date looked at.
    :return: a list of :class:`tongchou.Notice`, or None.
    """


# ---------------------------------------------------------------------------
# Ledger set-up


@hookspec(firstresult=True)
def tongchou_seed_demo(ledger, today):
    """Fill an empty ledger with a demo county for trying the jurisdiction out.

    Called by ``tongchou init --demo`` and ``tongchou serve --demo`` when the
    ledger has no projects.  Stops at first non-None result; implementations
    are asked latest registered first, so a pack's own before its base pack's.

    :param ledger: the open :class:`tongchou.ledger.Ledger`.
    :param today: the date the demo is built around (deadlines fall near it).
    :return: a short summary (e.g. how many projects were made), or None to let
        another plugin do it.
    """


# ---------------------------------------------------------------------------
# Web UI


@hookspec
def tongchou_project_panels(ledger, project, user):
    """Contribute extra panels to a project's page in the web UI.

    Called each time a project page is built.

    :param ledger: the open ledger.
    :param project: the :class:`tongchou.ProjectState` shown.
    :param user: the :class:`tongchou.Actor` looking at it (already allowed to).
    :return: a list of ``(title, panel_object)`` pairs, or None.  Panel objects
        are anything ``panel.panel()`` accepts; escape user-written text.
    """


# ---------------------------------------------------------------------------
# Importing a 台账


@hookspec
def tongchou_import_vocabulary():
    """Contribute the words of the county's own 台账 (Excel ledgers) to imports.

    Called each time a workbook is imported (``tongchou import``, the 导入台账
    page).  Returns a list of :class:`tongchou.import_headers.HeaderSynonyms`
    (more headers for a field: 资金来源/经费渠道 → ``funding``),
    :class:`tongchou.import_headers.ValueSynonyms` (more words for a field's
    choices: 政府投资 → 政府投资建设类) and
    :class:`tongchou.import_history.Milestone` (a dated column such as 竣工日期
    and the action it records, so that a project comes in at its real status
    with its history as imported events), or None.  Words of fields or actions
    the jurisdiction lacks (a disabled plugin's) are left out; the results of
    all plugins are added together.
    """
