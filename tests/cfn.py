"""CloudFormation's intrinsic functions, conditions and Rules, evaluated for given parameter
values: enough of CloudFormation to test what the template does with its parameters (which
Rules refuse them, what a property comes to) without an AWS account.

References to resources and their attributes stay symbolic (`<Ref Cache>`,
`<GetAtt Cache.Endpoint.Address>`): only the parameters are known before a deployment."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["Stack"]

PSEUDO = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "111111111111",
    "AWS::Partition": "aws",
    "AWS::StackName": "connect-gateway",
    "AWS::StackId": (
        "arn:aws:cloudformation:us-east-1:111111111111:stack/connect-gateway/"
        "1a2b3c4d-0000-4000-8000-000000000000"
    ),
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NoValue": None,
}


class Stack:
    """The template with these parameter values (the others at their defaults)."""

    def __init__(self, template: dict[str, Any], **given: str) -> None:
        self.template = template
        self.parameters: dict[str, Any] = {}
        for name, declared in template["Parameters"].items():
            if name in given:
                value: Any = given[name]
            elif "Default" in declared:
                value = declared["Default"]
            else:
                raise KeyError(f"parameter {name} has no default: give it")
            value = str(value)
            allowed = declared.get("AllowedValues")
            if allowed is not None and value not in [str(v) for v in allowed]:
                raise ValueError(f"{name}={value!r} is not one of its AllowedValues")
            pattern = declared.get("AllowedPattern")
            if pattern is not None and declared["Type"] == "String":
                assert re.fullmatch(pattern, value), f"{name}={value!r} breaks its pattern"
            if declared["Type"] == "CommaDelimitedList" or declared["Type"].startswith("List<"):
                value = value.split(",")
            self.parameters[name] = value
        unknown = set(given) - set(template["Parameters"])
        assert not unknown, f"no such parameters: {unknown}"
        self.conditions: dict[str, bool] = {}
        for name in template.get("Conditions", {}):
            self.condition(name)

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            self.conditions[name] = bool(self.value(self.template["Conditions"][name]))
        return self.conditions[name]

    def refused(self) -> list[str]:
        """The AssertDescriptions of the Rules these parameters break (empty: accepted)."""
        broken = []
        for rule in self.template.get("Rules", {}).values():
            if "RuleCondition" in rule and not self.value(rule["RuleCondition"]):
                continue
            for assertion in rule["Assertions"]:
                if not self.value(assertion["Assert"]):
                    broken.append(" ".join(assertion["AssertDescription"].split()))
        return broken

    def resource(self, name: str) -> dict[str, Any] | None:
        """A resource's properties, evaluated; None when its condition leaves it out."""
        resource = self.template["Resources"][name]
        if "Condition" in resource and not self.condition(resource["Condition"]):
            return None
        evaluated: dict[str, Any] = self.value(resource.get("Properties", {}))
        return evaluated

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.value(item) for item in node) if v is not None]
        if not isinstance(node, dict):
            return node
        if len(node) != 1:
            return {k: v for k, v in ((k, self.value(v)) for k, v in node.items()) if v is not None}
        [(function, argument)] = node.items()
        match function:
            case "Ref":
                if argument in self.parameters:
                    return self.parameters[argument]
                if argument in PSEUDO:
                    return PSEUDO[argument]
                return f"<Ref {argument}>"
            case "Fn::GetAtt":
                return f"<GetAtt {'.'.join(argument)}>"
            case "Condition":
                return self.condition(argument)
            case "Fn::If":
                name, then, otherwise = argument
                return self.value(then if self.condition(name) else otherwise)
            case "Fn::Equals":
                left, right = (self.value(v) for v in argument)
                return str(left) == str(right)
            case "Fn::Not":
                return not self.value(argument[0])
            case "Fn::And":
                return all(self.value(v) for v in argument)
            case "Fn::Or":
                return any(self.value(v) for v in argument)
            case "Fn::Contains":
                values, wanted = (self.value(v) for v in argument)
                return str(wanted) in [str(v) for v in values]
            case "Fn::EachMemberEquals":
                values, wanted = (self.value(v) for v in argument)
                return all(str(v) == str(wanted) for v in values)
            case "Fn::EachMemberIn":
                values, allowed = (self.value(v) for v in argument)
                return all(v in allowed for v in values)
            case "Fn::Join":
                separator, items = argument
                return separator.join(str(v) for v in self.value(items))
            case "Fn::Split":
                separator, text = argument
                return str(self.value(text)).split(separator)
            case "Fn::Select":
                index, items = argument
                return self.value(items)[int(self.value(index))]
            case "Fn::Sub":
                text, names = (argument, {}) if isinstance(argument, str) else argument
                known = {k: self.value(v) for k, v in names.items()}
                return re.sub(r"\$\{([^}!]+)\}", lambda m: self._sub(m.group(1), known), text)
            case "Fn::GetAZs":
                return ["us-east-1a", "us-east-1b", "us-east-1c"]
            case "Fn::Cidr":
                return [f"<cidr {n}>" for n in range(int(self.value(argument[1])))]
        return {function: self.value(argument)}

    def _sub(self, name: str, known: dict[str, Any]) -> str:
        if name in known:
            return str(known[name])
        if "." in name:
            return f"<GetAtt {name}>"
        return str(self.value({"Ref": name}))
