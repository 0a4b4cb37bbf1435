import os
import re
from collections import ChainMap
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from channelhub.core.errors import ServiceError
from channelhub.rules.formula import FormulaError, check, check_script, evaluate, execute

APPLICANT = {"registered_capital": 6_000_000, "name": "苏州经销商", "grade": "A"}
LINES = [{"qty": 2, "price": Decimal("9.99")}, {"qty": 1, "price": 0.5}]


def refused(fragment: str):
    return pytest.raises(FormulaError, match=re.escape(fragment))


class TestFormulaError:
    def test_is_a_422_service_error_with_a_stable_code(self):
        # when
        with pytest.raises(FormulaError) as caught:
            evaluate("1 +")
        # then
        assert isinstance(caught.value, ServiceError)
        assert (caught.value.status, caught.value.code) == (422, "invalid_formula")
        assert caught.value.message == "syntax error: invalid syntax"


class TestArithmetic:
    @pytest.mark.parametrize(
        ("expression", "names", "expected"),
        [
            ("0.1 + 0.2", {}, Decimal("0.3")),
            ("1 + 2", {}, 3),
            ("7 // 2", {}, 3),
            ("7 % 3", {}, 1),
            ("2 ** 10", {}, 1024),
            ("7 / 2", {}, Decimal("3.5")),
            ("2 ** -1", {}, Decimal("0.5")),
            ("1 / 3", {}, Decimal("0.3333333333333333333333333333")),
            ("price * qty", {"price": Decimal("19.99"), "qty": 3}, Decimal("59.97")),
            ("amount * 0.05", {"amount": 1234.5}, Decimal("61.725")),
            ("amount - 0.1", {"amount": 0.3}, Decimal("0.2")),
            ("round(x, 2)", {"x": Decimal("2.675")}, Decimal("2.68")),
            ("round(x, 2)", {"x": Decimal("-2.675")}, Decimal("-2.68")),
            ("round(2.5)", {}, 3),
            ("round(-2.5)", {}, -3),
            ("round(1234.5, -2)", {}, Decimal("1.2E+3")),
            ("abs(-3.20)", {}, Decimal("3.20")),
            ("int(3.9)", {}, 3),
            ("Decimal('1.10') * 2", {}, Decimal("2.20")),
            ("max(a, b) - min(a, b)", {"a": 5, "b": Decimal("7.5")}, Decimal("2.5")),
            ("sum([1, 2.5, x])", {"x": 0.25}, Decimal("3.75")),
            ("sum(l.qty * l.price for l in lines)", {"lines": LINES}, Decimal("20.48")),
            ("len(lines)", {"lines": LINES}, 2),
            ("str(12.50)", {}, "12.50"),
            ("f'{amount:,.2f} 元'", {"amount": Decimal("1234.5")}, "1,234.50 元"),
            ("f'{rate:.1%}'", {"rate": Decimal("0.125")}, "12.5%"),
            ("'A' + grade", {"grade": "B"}, "AB"),
        ],
    )
    def test_numbers_are_exact_and_money_is_decimal(self, expression, names, expected):
        # when
        result = evaluate(expression, names)
        # then
        assert result == expected
        assert type(result) is type(expected)

    def test_ratios_of_money_never_become_floats(self):
        assert evaluate("paid / due", {"paid": 3, "due": 4}) == Decimal("0.75")
        assert not isinstance(evaluate("x", {"x": 0.1}), float)


class TestConditions:
    @pytest.mark.parametrize(
        ("amount", "grade", "expected"),
        [(150_000, "A", True), (150_000, "B", True), (150_000, "C", False), (100_000, "A", False)],
    )
    def test_approval_condition(self, amount, grade, expected):
        assert evaluate('amount > 100000 and grade in ("A", "B")', {"amount": amount, "grade": grade}) is expected

    @pytest.mark.parametrize(
        ("expression", "expected"),
        [
            ('applicant["registered_capital"] > 5000000', True),
            ("applicant.registered_capital > 5000000", True),
            ("applicant.name == '苏州经销商'", True),
            ("applicant.grade if applicant.registered_capital >= 1e6 else 'C'", "A"),
            ("0 < score <= 100", True),
            ("region is None", True),
            ("region is not None or score >= 60", True),
            ("not passed", False),
            ("any(l['qty'] > 1 for l in lines)", True),
            ("all(l.qty > 1 for l in lines)", False),
            ("[l.qty for l in lines if l.price < 1]", [1]),
            ("{l['qty']: l['price'] for l in lines}", {2: Decimal("9.99"), 1: Decimal("0.5")}),
            ("(1, 2)[-1]", 2),
            ("applicant.name[:2]", "苏州"),
            ("person.city", "南京"),
        ],
    )
    def test_data_is_read_by_key_or_attribute(self, expression, expected):
        names = {
            "applicant": APPLICANT,
            "score": 88,
            "region": None,
            "passed": True,
            "lines": LINES,
            "person": SimpleNamespace(city="南京"),
        }
        assert evaluate(expression, names) == expected


class TestDatesAndTimers:
    @pytest.mark.parametrize(
        ("expression", "expected"),
        [
            ("days(3)", timedelta(days=3)),
            ("hours(1.5)", timedelta(minutes=90)),
            ("days(1) + hours(2)", timedelta(hours=26)),
            ("timedelta(days=2, hours=0.5)", timedelta(days=2, minutes=30)),
            ("signed + days(30)", date(2025, 3, 3)),
            ("date(2025, 1, 31) + timedelta(days=1)", date(2025, 2, 1)),
            ("(date(2025, 3, 1) - signed).days", 28),
            ("signed.year", 2025),
            ("datetime(2025, 1, 1, 9)", datetime(2025, 1, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))),
        ],
    )
    def test_date_helpers(self, expression, expected):
        assert evaluate(expression, {"signed": date(2025, 2, 1)}) == expected

    def test_datetimes_are_aware_in_the_current_time_zone(self):
        assert evaluate("datetime(2025, 1, 1)").utcoffset() == timedelta(hours=8)


# Refused before anything runs: check() and evaluate() give the same answer.
STATIC_REFUSALS = [
    ("__import__('os').system('id')", "function '__import__' is not allowed"),
    ("().__class__.__bases__[0].__subclasses__()", "attribute access is not allowed: __class__"),
    ("open('/etc/passwd')", "function 'open' is not allowed"),
    ("eval('1')", "function 'eval' is not allowed"),
    ("exec('import os')", "function 'exec' is not allowed"),
    ("compile('1', 'f', 'eval')", "function 'compile' is not allowed"),
    ("getattr(x, '__class__')", "function 'getattr' is not allowed"),
    ("type(x)", "function 'type' is not allowed"),
    ("lambda: 1", "lambda is not allowed"),
    ("(lambda: 1)()", "lambda is not allowed"),
    ("[c for c in ().__class__.__mro__]", "attribute access is not allowed: __class__"),
    ("x.__class__", "attribute access is not allowed: __class__"),
    ("x._secret", "attribute access is not allowed: _secret"),
    ("x.__globals__['os']", "attribute access is not allowed: __globals__"),
    ("frame.f_globals", "attribute access is not allowed: f_globals"),
    ("__builtins__", "name '__builtins__' is not allowed"),
    ("_x + 1", "name '_x' is not allowed"),
    ("region.startswith('32')", "method calls are not allowed: startswith"),
    ("''.join(['a', 'b'])", "method calls are not allowed: join"),
    ("applicant.delete()", "method calls are not allowed: delete"),
    ("'{0.__class__}'.format(1)", "attribute access is not allowed: format"),
    ("x[0]()", "only formula functions can be called"),
    ("f'{x!r}'", "f-string conversions (!r, !s, !a) are not allowed"),
    ("f'{x=}'", "f-string conversions (!r, !s, !a) are not allowed"),
    ("f'{x:{y}}'", "f-string format specs must be plain, like :,.2f"),
    ("f'{x:{\"}{0.__class__}\"}}'", "f-string format specs must be plain, like :,.2f"),
    ("f'{x:>999999999}'", "f-string format spec is not allowed: >999999999"),
    ("f'{x:%Y}'", "f-string format spec is not allowed: %Y"),
    ("(y := 1)", "assignment expression (:=) is not allowed"),
    ("min(*xs)", "star unpacking (*) is not allowed"),
    ("[*xs]", "star unpacking (*) is not allowed"),
    ("max(**kw)", "keyword unpacking (**) is not allowed"),
    ("{**kw}", "dictionary unpacking (**) is not allowed"),
    ("{x for x in xs}", "set comprehension is not allowed"),
    ("[x for x.y in xs]", "loop variables must be plain names"),
    ("[a for a in xs for b in xs for c in xs]", "loops are nested too deeply (max 2)"),
    ("[[a for a in xs] for b in xs for c in xs]", "loops are nested too deeply (max 2)"),
    ("1 | 2", "operator '|' is not allowed"),
    ("1 << 100000", "operator '<<' is not allowed"),
    ("~1", "operator '~' is not allowed"),
    ("b'abc'", "bytes literals are not allowed"),
    ("1j", "complex literals are not allowed"),
    ("...", "ellipsis literals are not allowed"),
    ("import os", "syntax error: invalid syntax"),
    ("x = 1", "syntax error: invalid syntax"),
    ("1 +", "syntax error: invalid syntax"),
    ("   ", "expression is empty"),
    ("[" * 60 + "1" + "]" * 60, "expression is nested too deeply (max 50 levels)"),
    ("-" * 1999 + "1", "expression is nested too deeply (max 50 levels)"),
    ("(" * 300 + "1" + ")" * 300, "syntax error: too many nested parentheses"),
    ("[" + "1," * 600 + "]", "expression is too complex (max 500 parts)"),
    ("x" * 2001, "expression is too long (max 2000 characters)"),
]


class TestStaticRefusals:
    @pytest.mark.parametrize(("expression", "message"), STATIC_REFUSALS)
    def test_check_refuses(self, expression, message):
        with refused(message):
            check(expression)

    @pytest.mark.parametrize(("expression", "message"), STATIC_REFUSALS)
    def test_evaluate_refuses_the_same_way(self, expression, message):
        names = {"x": 1, "y": 2, "xs": [1], "kw": {}, "region": "320102", "applicant": APPLICANT, "frame": None}
        with refused(message):
            evaluate(expression, names)

    def test_check_runs_nothing(self):
        assert check("amount > limit and 1 / 0") is None

    @pytest.mark.parametrize(
        ("expression", "names", "message"),
        [
            ("amount > limit", ["amount"], "name 'limit' is not defined"),
            ("os.system('id')", [], "name 'os' is not defined"),
            ("min", [], "name 'min' is not defined"),
            ("[l for l in lines] + [l]", ["lines"], "name 'l' is not defined"),
        ],
    )
    def test_unknown_names_are_refused_when_the_names_are_known(self, expression, names, message):
        with refused(message):
            check(expression, names=names)
        with refused(message):
            evaluate(expression, dict.fromkeys(names, []))

    @pytest.mark.parametrize(
        ("expression", "names"),
        [("amount > limit", ["amount", "limit"]), ("sum(l.qty for l in lines)", ["lines"])],
    )
    def test_known_names_and_loop_variables_pass(self, expression, names):
        assert check(expression, names=names) is None

    def test_only_text_is_a_formula(self):
        with refused("expression must be text"):
            check(42)


class TestRunTimeRefusals:
    @pytest.mark.parametrize(
        ("expression", "names", "message"),
        [
            ("9**9**9", {}, "power too large"),
            ("2 ** 101", {}, "power too large"),
            ("(10**100)**100", {}, "power too large"),
            ("x ** 1000", {"x": Decimal("1.01")}, "power too large"),
            ("'a' * 10**9", {}, "text is too long (max 10000 characters)"),
            ("10**9 * 'a'", {}, "text is too long (max 10000 characters)"),
            ("[1] * 10**9", {}, "value is too large (max 10000 items)"),
            ("[[1] * 10000] * 10000", {}, "value is too large (max 10000 items)"),
            ("[s for i in range(3)]", {"s": "a" * 5000}, "value is too large (max 10000 items)"),
            ("s + s + s", {"s": "a" * 5000}, "text is too long (max 10000 characters)"),
            ("[s * 2 for i in range(10000)]", {"s": "a" * 5000}, "formula builds too much data (max 1000000 items)"),
            ("[x for x in range(10**9)]", {}, "range is too large (max 10000 items)"),
            ("len(range(10**100))", {}, "range is too large (max 10000 items)"),
            ("[i for i in xs for j in xs]", {"xs": list(range(200))}, "loops run too many times (max 10000 steps)"),
            ("[sum(range(10000)) for i in range(10000)]", {}, "formula took longer than 0.2 s"),
            ("int(1e999999)", {}, "number too large"),
            ("x * x * x * x", {"x": 2**1500}, "number too large"),
            ("1 / 0", {}, "division by zero"),
            ("1 // 0", {}, "division by zero"),
            ("1 % 0", {}, "division by zero"),
            ("amount / count", {"amount": Decimal("9.99"), "count": 0}, "division by zero"),
            ("amount / 0.0", {"amount": 1}, "division by zero"),
            ("'%*d' % (10**9, 1)", {}, "the % operator only works on numbers"),
            ("applicant.missing", {"applicant": APPLICANT}, "key not found: 'missing'"),
            ("applicant['missing']", {"applicant": APPLICANT}, "key not found: 'missing'"),
            ("xs[5]", {"xs": []}, "index out of range"),
            ("person.age", {"person": SimpleNamespace()}, "attribute not found: age"),
            ("region.upper", {"region": "east"}, "attribute access is not allowed: upper"),
            ("person.greet", {"person": SimpleNamespace(greet=print)}, "attribute access is not allowed: greet"),
            ("f", {"f": print}, "functions and modules cannot be used as values"),
            ("m", {"m": os}, "functions and modules cannot be used as values"),
            ("m.path", {"m": os}, "functions and modules cannot be used as values"),
            ("str(xs)", {"xs": [1]}, "str() only converts numbers, text and dates"),
            ("f'{xs}'", {"xs": [[1] * 9000] * 1000}, "an f-string only converts numbers, text and dates"),
            ("sum(xs, [])", {"xs": [[1]]}, "sum() only adds numbers and durations"),
            ("round('1.5')", {}, "round() only rounds numbers"),
            ("round(x, 100)", {"x": 1}, "round() digits must be a whole number between -28 and 28"),
            ("Decimal('abc')", {}, "not a number: 'abc'"),
            ("1 < 'a'", {}, "'<' not supported between instances of 'int' and 'str'"),
            ("date(9999, 12, 31) + days(1)", {}, "date value out of range"),
        ],
    )
    def test_refused_while_running(self, expression, names, message):
        check(expression, names=names)
        with refused(message):
            evaluate(expression, names)


class TestExecute:
    def test_assigns_in_order_and_later_lines_see_earlier_ones(self):
        # given
        data = {"price": Decimal("19.99"), "qty": 3, "attempts": 0}
        script = """
            # rebate for the quarter
            total = price * qty

            rebate = round(total * 0.1, 2)  # 10 %
            attempts += 1
            approved = rebate < 10 and attempts <= 3
        """
        # when
        result = execute(script, data)
        # then
        assert result is data
        assert data == {
            "price": Decimal("19.99"),
            "qty": 3,
            "attempts": 1,
            "total": Decimal("59.97"),
            "rebate": Decimal("6.00"),
            "approved": True,
        }

    @pytest.mark.parametrize("script", ["", "   \n", "# nothing to do\n"])
    def test_an_empty_script_changes_nothing(self, script):
        data = {"x": 1}
        assert execute(script, data) == {"x": 1}

    def test_values_from_a_second_mapping_are_read_but_not_stored(self):
        # given: how a script engine passes task data plus extra values such as a DMN input
        data = {"x": 1}
        # when
        execute("y = x + dmninputexpr", ChainMap(data, {"dmninputexpr": 2}))
        # then
        assert data == {"x": 1, "y": 3}

    @pytest.mark.parametrize(
        ("script", "message"),
        [
            ("import os", "line 1: only 'name = expression' statements are allowed"),
            ("from os import system", "line 1: only 'name = expression' statements are allowed"),
            ("del x", "line 1: only 'name = expression' statements are allowed"),
            ("x", "line 1: only 'name = expression' statements are allowed"),
            ("if x:\n    y = 1", "line 1: only 'name = expression' statements are allowed"),
            ("for i in xs:\n    y = i", "line 1: only 'name = expression' statements are allowed"),
            ("def f():\n    return 1", "line 1: only 'name = expression' statements are allowed"),
            ("x.y = 1", "line 1: only 'name = expression' statements are allowed"),
            ("x['y'] = 1", "line 1: only 'name = expression' statements are allowed"),
            ("a = b = 1", "line 1: only 'name = expression' statements are allowed"),
            ("a, b = 1, 2", "line 1: only 'name = expression' statements are allowed"),
            ("x: int = 1", "line 1: only 'name = expression' statements are allowed"),
            ("x = 1\nx |= 2", "line 2: operator '|' is not allowed"),
            ("y = 1\n_z = 2", "line 2: name '_z' is not allowed"),
            ("y = open('/etc/passwd')", "line 1: function 'open' is not allowed"),
            ("y = z + 1", "line 1: name 'z' is not defined"),
            ("z += 1", "line 1: name 'z' is not defined"),
            ("y = x +", "syntax error: invalid syntax"),
            ("x = 1\n" * 4000, "script is too long (max 20000 characters)"),
        ],
    )
    def test_refuses_anything_but_assignments_and_changes_nothing(self, script, message):
        # given
        data = {"x": 1, "xs": [1]}
        # when
        with refused(message):
            execute(script, data)
        # then
        assert data == {"x": 1, "xs": [1]}
        with refused(message):
            check_script(script, names=["x", "xs"])

    def test_a_failing_line_leaves_the_data_untouched(self):
        # given
        data = {"x": 1}
        # when
        with refused("line 2: division by zero"):
            execute("y = 2\nx = y / 0", data)
        # then
        assert data == {"x": 1}

    def test_one_time_limit_covers_the_whole_script(self):
        script = "\n".join(f"a{i} = [sum(range(10000)) for i in range(10000)]" for i in range(3))
        with refused("formula took longer than 0.2 s"):
            execute(script, {})
